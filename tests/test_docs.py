"""The README's example runs, and the tour runs every section without a failure."""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_readme_example_runs(capsys):
    text = (ROOT / 'README.md').read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    exec(compile(code, 'README.md', 'exec'), {})
    out = capsys.readouterr().out
    assert 'lambda' in out and 'dot_general' in out


def test_tour_runs_every_section(tmp_path):
    env = {'PYTHONPATH': str(ROOT / 'src'), 'PATH': '/usr/bin:/bin', 'MPLBACKEND': 'Agg',
           'PULLBACK_TOUR_NO_JAX': '1'}
    proc = subprocess.run([sys.executable, '-m', 'pullback.tour'], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert '0 section(s) failed' in proc.stdout
    assert 'ERROR! can\'t apply forward-mode autodiff (jvp) to a custom_vjp function.' in \
        proc.stdout
