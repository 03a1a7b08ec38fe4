// Included by gather_nd.cu and scatter_nd.cu: the element of an array that position
// (b, r) of an advanced index addresses. The array is given by a pointer to its first
// element and strides in elements (any sign: a basic-index view needs no copy); the k
// index arrays, broadcast to nb positions, by one C-contiguous (k, nb) int64 matrix idx.
// geometry holds, for each index array, the size and stride of the axis it indexes; for
// each of the `rank` other axes, in order, its size and stride (r is the C-order position
// among them); last `iota`, the stride position b itself steps by (0 for NumPy's indexing;
// x[arange(n), idx] with the rows as iota in one launch: the categorical crossentropy).
#pragma once

// The offset of position (b, r) in *offset; false after flagging an index outside [-n, n)
// ([0, n) when !wrap) in the error row, with which index array held it (gg_flag_index).
__device__ __forceinline__ bool gg_nd_offset(const i64* idx, const i64* geometry, i64 k, i64 rank, i64 nb,
                                             i64 b, i64 r, i64 wrap, i64* error, i64* offset) {
    i64 at = b * geometry[2 * (k + rank)];
    for (i64 j = 0; j < k; ++j) {
        const i64 n = geometry[2 * j], index = idx[j * nb + b];
        const i64 wrapped = index < 0 && wrap ? index + n : index;
        if (wrapped < 0 || wrapped >= n) {
            gg_flag_index(error, index, j, n);
            return false;
        }
        at += wrapped * geometry[2 * j + 1];
    }
    const i64* rest = geometry + 2 * k;
    for (i64 a = rank - 1; a >= 0; --a) {
        at += r % rest[2 * a] * rest[2 * a + 1];
        r /= rest[2 * a];
    }
    *offset = at;
    return true;
}
