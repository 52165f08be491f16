"""Compare printed output with the seed's, to float32 rounding.

The seed lost repeated spaces when it was rendered, so text is compared with whitespace
collapsed; numbers are compared with a relative tolerance instead of digit by digit.
"""
import re

_NUM = re.compile(r'[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?j?|nan|inf')


def _tokens(text):
    out = []
    pos = 0
    for m in _NUM.finditer(text):
        out.extend(('t', w) for w in text[pos:m.start()].split())
        out.append(('n', m.group()))
        pos = m.end()
    out.extend(('t', w) for w in text[pos:].split())
    # glue punctuation-only words so that '[ 1.2' and '[1.2' compare equal
    return [(k, v) for k, v in out if v]


def _num(s):
    s = s.rstrip('j') if s.endswith('j') and s not in ('nan', 'inf') else s
    return float(s)


def assert_output_matches(got, expected, rtol=2e-6, atol=1e-7):
    """``got`` prints what ``expected`` shows: same words, numbers within tolerance."""
    g, e = _tokens(got), _tokens(expected)
    gt = [v for k, v in g if k == 't']
    et = [v for k, v in e if k == 't']
    assert ''.join(gt) == ''.join(et), f"text differs:\n--- got ---\n{got}\n--- expected ---\n{expected}"
    gn = [v for k, v in g if k == 'n']
    en = [v for k, v in e if k == 'n']
    assert len(gn) == len(en), f"number count differs:\n{got}\n---\n{expected}"
    for a, b in zip(gn, en):
        x, y = _num(a), _num(b)
        if x != x and y != y:
            continue
        assert abs(x - y) <= atol + rtol * abs(y), (
            f"{a} != {b} (to float32 rounding)\n--- got ---\n{got}\n--- expected ---\n{expected}")
