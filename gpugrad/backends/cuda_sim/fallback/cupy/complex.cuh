// Stand-in for CuPy's cupy/complex.cuh when CuPy is not installed: the simulator then
// runs complex kernels on std::complex, which has the same interface for the
// arithmetic, real()/imag() and the elementary functions the kernels use.
#pragma once
#include <complex>
template <class T> using complex = std::complex<T>;
using std::conj; using std::real; using std::imag; using std::arg; using std::norm; using std::polar;
using std::exp; using std::log; using std::log10; using std::sqrt; using std::pow; using std::abs;
using std::sin; using std::cos; using std::tan; using std::sinh; using std::cosh; using std::tanh;
using std::asin; using std::acos; using std::atan; using std::asinh; using std::acosh; using std::atanh;
