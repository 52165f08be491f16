"""Transformations: autodiff (jvp, linearize, transpose), batching, jit, custom
derivatives, control flow support and checkpointing."""
