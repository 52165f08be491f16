"""Cases for ``dot_general`` (format: see ``tests/_primitive_harness.py``): vectors,
matrices, batch dimensions, contractions over several axes, and an outer product."""
import numpy as np

# Batched and unbatched products may sum in different orders (einsum for small products,
# BLAS for large ones), so float32 results can differ by a few ulp after cancellation.
_OPTS = {'vmap_rtol': 2e-5}


def _dot(lhs_shape, rhs_shape, dims):
    def make(rng):
        args = [rng.standard_normal(lhs_shape), rng.standard_normal(rhs_shape)]
        return args, {'dimension_numbers': dims, 'preferred_element_type': None}, _OPTS
    return make


def _complex_dot(lhs_shape, rhs_shape, dims):
    def make(rng):
        args = [rng.standard_normal(lhs_shape) + 1j * rng.standard_normal(lhs_shape),
                rng.standard_normal(rhs_shape) + 1j * rng.standard_normal(rhs_shape)]
        return args, {'dimension_numbers': dims, 'preferred_element_type': None}, _OPTS
    return make


CASES = {'dot_general': [
    _dot((3,), (3,), (((0,), (0,)), ((), ()))),                 # vdot
    _dot((2, 3), (3,), (((1,), (0,)), ((), ()))),               # matrix @ vector
    _dot((2, 3), (3, 4), (((1,), (0,)), ((), ()))),             # matrix @ matrix
    _dot((3, 2), (3, 4), (((0,), (0,)), ((), ()))),             # x.T @ y
    _dot((5, 2, 3), (5, 3, 4), (((2,), (1,)), ((0,), (0,)))),   # batched matmul
    _dot((2, 5, 3), (3, 4, 5), (((2,), (0,)), ((1,), (2,)))),   # batch axes not in front
    _dot((2, 3, 4), (4, 3), (((1, 2), (1, 0)), ((), ()))),      # two contracting axes
    _dot((2,), (3,), (((), ()), ((), ()))),                     # outer product
    _complex_dot((2, 3), (3, 2), (((1,), (0,)), ((), ()))),
]}
