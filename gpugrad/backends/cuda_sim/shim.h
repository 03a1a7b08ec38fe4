// The CUDA simulator's shim: force-included (g++ -include) before a CUDA C source so
// that the same kernel text compiles for the CPU. It maps the CUDA dialect onto C++,
// and it holds the runtime that runs a grid: blocks one after another, the threads of
// a block as fibers (on the stacks of memory.fiber_stacks, switched with _setjmp/_longjmp) when
// the kernel synchronises or uses atomics, or as a plain loop when it does neither. Every
// fault, device assert, barrier deadlock or bad shuffle ends the launch with siglongjmp
// back to gg_launch_*, which reports it in the Launch record; the interpreter never dies.
//
// It is as hostile as a GPU where that is cheap: the blocks of a grid and the threads of
// a block run in an order drawn from the launch's seed (a fresh order for every block and
// every stretch between barriers), an atomic operation of a fiber may first let other
// threads run (so compare-and-swap loops meet contention and retry), and every block
// starts with its __shared__ memory, static and dynamic, poisoned (kPoisonWord: NaN as
// a float or double, INT_MAX as an int).
#pragma once
#include <cmath>
#include <math.h>
#include <csetjmp>
#include <cstdarg>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <tuple>
#include <type_traits>
#include <utility>
#include <pthread.h>
#include <ucontext.h>

#define __global__
#define __device__
#define __host__
#define __constant__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
#define __align__(n) alignas(n)
#define __shared__ static __attribute__((section("gg_shared")))
#define GPUGRAD_CUDA_SIM 1

using std::isnan; using std::isinf; using std::isfinite;
#include <cupy/complex.cuh>

struct uint3 { unsigned int x, y, z; };
struct dim3 { unsigned int x, y, z; };
static const int warpSize = 32;

namespace gg {

enum Status { OK = 0, FAULT = 1, DEADLOCK = 2, BAD_SHUFFLE = 3, DEVICE_ASSERT = 4, BAD_LAUNCH = 5 };
enum State { RUNNING, AT_BARRIER, AT_WARP, DONE };

// Shared with Python (ctypes mirror in cuda_sim/runtime.py); keep the layouts equal.
struct Launch {
    unsigned int grid[3], block[3];
    void** args;
    int nargs;
    int fibers;       // 1: run threads as fibers (the kernel synchronises or uses atomics)
    int status;
    unsigned long long seed;  // draws the order of blocks and threads and the atomics' yields
    void* dynamic_shared;
    unsigned long long dynamic_shared_bytes;
    char* stacks;     // memory.fiber_stacks(): kMaxThreads guarded stacks of kStack, after a header page
    void* fault_addr;
    int fault_write;  // 1 write, 0 read, -1 unknown
    int fault_signal;
    unsigned int thread[3], block_at[3];
    char message[512];
};

struct Fiber {
    jmp_buf jb;
    ucontext_t uc;
    int state, started, parity;
    unsigned int mask;
};

const size_t kStack = 128 * 1024, kPage = 4096;
const int kMaxThreads = 1024;
const unsigned kPoisonWord = 0x7fffffffu;

namespace {
Launch* L;
Fiber* fibers;
char* stacks;
int nthreads, current;
bool on_fiber;  // a fiber's stack is in use (its thread's body runs), not the scheduler's
jmp_buf sched_jb;
sigjmp_buf launch_jb;
ucontext_t main_uc;
void (*body)();
pthread_t owner;
struct sigaction old_segv, old_bus, old_fpe;
alignas(16) char alt_stack[64 * 1024];
alignas(16) unsigned char slots[kMaxThreads / 32][2][32][16];
unsigned long long block_key, coin_state;
}  // namespace

}  // namespace gg

// The bounds of this object's static __shared__ variables (the linker's names for the
// section; null where the kernel declares none).
extern char __start_gg_shared[] __attribute__((weak, visibility("hidden")));
extern char __stop_gg_shared[] __attribute__((weak, visibility("hidden")));

static uint3 threadIdx, blockIdx;
static dim3 blockDim, gridDim;

namespace gg {
namespace {

unsigned long long mix(unsigned long long x) {  // splitmix64's finalizer
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// The i-th element of a permutation of [0, n) drawn by key: two rounds of an odd multiply
// and an xorshift (each a bijection of [0, 2^bits)), cycle-walked back into [0, n).
unsigned long long permute(unsigned long long i, unsigned long long n, unsigned long long key) {
    if (n <= 1) return 0;
    const int bits = 64 - __builtin_clzll(n - 1);
    const unsigned long long mask = bits == 64 ? ~0ull : (1ull << bits) - 1, a = key | 1, c = mix(key) | 1;
    do {
        i = (i * a + (key >> 32)) & mask;
        i ^= i >> (bits / 2 + 1);
        i = (i * c + (c >> 40)) & mask;
        i ^= i >> (bits / 3 + 1);
    } while (i >= n);
    return i;
}

bool coin() { return (coin_state = mix(coin_state)) & 1; }

void poison(void* p, size_t bytes) {
    unsigned char* b = static_cast<unsigned char*>(p);
    size_t k = 0;
    for (; k + 4 <= bytes; k += 4) memcpy(b + k, &kPoisonWord, 4);
    for (; k < bytes; ++k) b[k] = static_cast<unsigned char>(kPoisonWord >> (8 * (k % 4)));
}

void set_thread(int t) {
    current = t;
    threadIdx.x = t % blockDim.x;
    threadIdx.y = (t / blockDim.x) % blockDim.y;
    threadIdx.z = t / (blockDim.x * blockDim.y);
}

[[noreturn]] void fail(int status, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
[[noreturn]] void fail(int status, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(L->message, sizeof L->message, fmt, ap);
    va_end(ap);
    L->status = status;
    siglongjmp(launch_jb, 1);
}

// A fault is a stack overflow when it hits a guard page, or when a fiber's stack pointer has
// left its stack (a frame larger than the guard page jumps over it without touching it).
bool is_stack_overflow(void* addr, void* uctx) {
    char* a = static_cast<char*>(addr);
    if (stacks && a >= stacks && a < stacks + kMaxThreads * kStack && size_t(a - stacks) % kStack < kPage)
        return true;
    if (!on_fiber || !stacks) return false;
#if defined(__x86_64__)
    char* sp = reinterpret_cast<char*>(static_cast<ucontext_t*>(uctx)->uc_mcontext.gregs[REG_RSP]);
#elif defined(__aarch64__)
    char* sp = reinterpret_cast<char*>(static_cast<ucontext_t*>(uctx)->uc_mcontext.sp);
#else
    char* sp = nullptr;
    (void)uctx;
#endif
    return sp && sp < stacks + size_t(current) * kStack + kPage;
}

void on_fault(int sig, siginfo_t* info, void* uctx) {
    if (!pthread_equal(pthread_self(), owner)) {  // not ours: let the previous handler see it
        sigaction(sig, sig == SIGSEGV ? &old_segv : sig == SIGBUS ? &old_bus : &old_fpe, nullptr);
        return;
    }
    L->fault_signal = sig;
    L->fault_addr = info->si_addr;
    L->fault_write = -1;
#if defined(__x86_64__)
    if (sig == SIGSEGV) L->fault_write = (static_cast<ucontext_t*>(uctx)->uc_mcontext.gregs[REG_ERR] & 2) ? 1 : 0;
#endif
    L->status = FAULT;
    if (sig == SIGFPE)
        snprintf(L->message, sizeof L->message, "arithmetic exception (integer division by zero?)");
    else if (is_stack_overflow(info->si_addr, uctx))
        snprintf(L->message, sizeof L->message, "stack overflow (more than %zu KiB of locals)", kStack / 1024);
    else
        snprintf(L->message, sizeof L->message, "invalid memory access");
    siglongjmp(launch_jb, 1);
}

// Each fiber runs the kernel for one thread index, marks itself done and yields; the
// scheduler reuses it for the same thread index of the next block.
void fiber_main() {
    for (;;) {
        body();
        fibers[current].state = DONE;
        if (!_setjmp(fibers[current].jb)) _longjmp(sched_jb, 1);
    }
}

void yield(int state) {
    Fiber& f = fibers[current];
    f.state = state;
    if (!_setjmp(f.jb)) _longjmp(sched_jb, 1);
    set_thread(int(&f - fibers));
}

// A fiber's first run: fiber_main on the top of its stack. It never returns (it jumps back
// to the scheduler), so on x86-64 and AArch64 a switch of the stack pointer and a call
// do; elsewhere makecontext/swapcontext, which also save the signal mask (a system call).
void start(int t) {
    char* top = stacks + (t + 1) * kStack;
#if defined(__x86_64__)
    asm volatile("mov %0, %%rsp\n\tcall *%1\n\tud2" : : "r"(top), "r"(fiber_main) : "memory");
#elif defined(__aarch64__)
    asm volatile("mov sp, %0\n\tblr %1\n\tbrk #0" : : "r"(top), "r"(fiber_main) : "memory");
#else
    Fiber& f = fibers[t];
    getcontext(&f.uc);
    f.uc.uc_stack.ss_sp = stacks + t * kStack + kPage;
    f.uc.uc_stack.ss_size = kStack - kPage;
    f.uc.uc_link = nullptr;
    makecontext(&f.uc, fiber_main, 0);
    swapcontext(&main_uc, &f.uc);
#endif
}

void resume(int t) {
    set_thread(t);
    if (_setjmp(sched_jb)) {
        on_fiber = false;
        return;
    }
    on_fiber = true;
    Fiber& f = fibers[t];
    if (f.started) _longjmp(f.jb, 1);
    f.started = 1;
    start(t);
}

// Every kernel object shares the process's guarded stacks (one mapping per guard: a process
// may hold only ~65k mappings). The header's last word names the object whose fibers live
// on them; another object's launch begins its fibers afresh.
void claim_stacks() {
    if (!fibers) fibers = static_cast<Fiber*>(calloc(kMaxThreads, sizeof(Fiber)));
    stacks = L->stacks;
    void** owner = reinterpret_cast<void**>(L->stacks) - 1;
    if (*owner == static_cast<void*>(&fibers)) return;
    for (int t = 0; t < kMaxThreads; ++t) fibers[t].started = 0;
    *owner = &fibers;
}

unsigned lanes_present(int warp) {
    int n = std::min(32, nthreads - warp * 32);
    return n >= 32 ? 0xffffffffu : ((1u << n) - 1u);
}

const char* state_name(int s) {
    return s == AT_BARRIER ? "__syncthreads" : s == AT_WARP ? "a warp shuffle/sync" : s == DONE ? "exit" : "running";
}

// Releases warps whose every lane of the mask arrived; returns whether any was released.
bool release_warps() {
    bool released = false;
    for (int w = 0; w * 32 < nthreads; ++w) {
        unsigned mask = 0;
        int waiting = -1;
        for (int l = 0; l < 32 && w * 32 + l < nthreads; ++l)
            if (fibers[w * 32 + l].state == AT_WARP) { mask = fibers[w * 32 + l].mask; waiting = w * 32 + l; }
        if (waiting < 0) continue;
        mask &= lanes_present(w);
        bool all = true;
        for (int l = 0; l < 32; ++l) {
            if (!(mask >> l & 1)) continue;
            int s = fibers[w * 32 + l].state;
            if (s == DONE)
                fail(DEADLOCK, "deadlock: thread %d waits at a warp shuffle/sync with mask 0x%08x but lane %d of warp %d has exited",
                     waiting, fibers[waiting].mask, l, w);
            all = all && s == AT_WARP;
        }
        if (!all) continue;
        for (int l = 0; l < 32; ++l)
            if (mask >> l & 1) fibers[w * 32 + l].state = RUNNING;
        released = true;
    }
    return released;
}

[[noreturn]] void report_deadlock() {
    int first[4] = {-1, -1, -1, -1}, count[4] = {0, 0, 0, 0};
    for (int t = 0; t < nthreads; ++t) {
        int s = fibers[t].state;
        if (first[s] < 0) first[s] = t;
        ++count[s];
    }
    int a = count[AT_BARRIER] ? AT_BARRIER : AT_WARP;
    int b = count[DONE] ? DONE : (a == AT_BARRIER ? AT_WARP : AT_BARRIER);
    fail(DEADLOCK, "barrier deadlock: %d threads (first: %d) wait at %s while %d threads (first: %d) are at %s",
         count[a], first[a], state_name(a), count[b], first[b], state_name(b));
}

// Rounds: each resumes every runnable thread once, in an order drawn afresh, and a thread
// runs until a barrier, a warp meeting, its exit or a yield at an atomic (still RUNNING).
void run_block_fibers() {
    for (int t = 0; t < nthreads; ++t) { fibers[t].state = RUNNING; fibers[t].parity = 0; }
    for (unsigned long long round = 0;; ++round) {
        const unsigned long long key = mix(block_key + round);
        for (int i = 0; i < nthreads; ++i) {
            int t = int(permute(i, nthreads, key));
            if (fibers[t].state == RUNNING) resume(t);
        }
        int at_barrier = 0, done = 0, running = 0;
        for (int t = 0; t < nthreads; ++t) {
            at_barrier += fibers[t].state == AT_BARRIER;
            done += fibers[t].state == DONE;
            running += fibers[t].state == RUNNING;
        }
        if (done == nthreads) return;
        if (release_warps() || running) continue;
        if (at_barrier + done == nthreads && done == 0) {
            for (int t = 0; t < nthreads; ++t) fibers[t].state = RUNNING;
            continue;
        }
        report_deadlock();
    }
}

void run_block_loop() {
    for (int i = 0; i < nthreads; ++i) {
        set_thread(int(permute(i, nthreads, block_key)));
        body();
    }
}

// A block of a fresh GPU: its shared memory holds garbage, here the poison pattern.
void start_block(unsigned long long linear) {
    block_key = mix(L->seed ^ mix(linear));
    if (__start_gg_shared && __stop_gg_shared > __start_gg_shared)
        poison(__start_gg_shared, size_t(__stop_gg_shared - __start_gg_shared));
    if (L->dynamic_shared_bytes) poison(L->dynamic_shared, L->dynamic_shared_bytes);
}

// The blocks in an order drawn from the seed, each linear index unravelled x fastest.
void run_blocks() {
    const unsigned long long nx = gridDim.x, ny = gridDim.y, count = nx * ny * gridDim.z;
    const unsigned long long key = mix(L->seed);
    coin_state = key;
    for (unsigned long long i = 0; i < count; ++i) {
        const unsigned long long b = permute(i, count, key);
        blockIdx = {unsigned(b % nx), unsigned(b / nx % ny), unsigned(b / (nx * ny))};
        start_block(b);
        L->fibers ? run_block_fibers() : run_block_loop();
    }
}

void install_handlers() {
    owner = pthread_self();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old_segv);
    sigaction(SIGBUS, &sa, &old_bus);
    sigaction(SIGFPE, &sa, &old_fpe);
}

void remove_handlers() {
    sigaction(SIGSEGV, &old_segv, nullptr);
    sigaction(SIGBUS, &old_bus, nullptr);
    sigaction(SIGFPE, &old_fpe, nullptr);
}

int run_grid(Launch* launch, void (*fn)()) {
    L = launch;
    body = fn;
    blockDim = {L->block[0], L->block[1], L->block[2]};
    gridDim = {L->grid[0], L->grid[1], L->grid[2]};
    nthreads = int(blockDim.x * blockDim.y * blockDim.z);
    stack_t alt = {}, old_alt;
    alt.ss_sp = alt_stack;
    alt.ss_size = sizeof alt_stack;
    sigaltstack(&alt, &old_alt);
    install_handlers();
    if (sigsetjmp(launch_jb, 1)) {
        for (int t = 0; t < kMaxThreads && fibers; ++t) fibers[t].started = 0;  // abandoned mid-kernel
        on_fiber = false;
        L->thread[0] = threadIdx.x; L->thread[1] = threadIdx.y; L->thread[2] = threadIdx.z;
        L->block_at[0] = blockIdx.x; L->block_at[1] = blockIdx.y; L->block_at[2] = blockIdx.z;
    } else {
        if (L->fibers) claim_stacks();
        run_blocks();
    }
    remove_handlers();
    sigaltstack(&old_alt, nullptr);
    return L->status;
}

template <class... A, size_t... I>
void call(void (*k)(A...), void** args, std::index_sequence<I...>) {
    k(*static_cast<std::remove_cv_t<A>*>(args[I])...);
}

// The dtype code of a parameter as NumPy spells it ("<f4", "*<c8", ...); "?" if unknown.
template <class T> constexpr const char* code() {
    using U = std::remove_cv_t<T>;
    if constexpr (std::is_pointer_v<U>) {
        using P = std::remove_cv_t<std::remove_pointer_t<U>>;
        return std::is_same_v<P, bool> ? "*b1" : std::is_same_v<P, float> ? "*f4" : std::is_same_v<P, double> ? "*f8"
             : std::is_same_v<P, complex<float>> ? "*c8" : std::is_same_v<P, complex<double>> ? "*c16"
             : std::is_same_v<P, signed char> || std::is_same_v<P, char> ? "*i1" : std::is_same_v<P, unsigned char> ? "*u1"
             : std::is_same_v<P, short> ? "*i2" : std::is_same_v<P, unsigned short> ? "*u2"
             : std::is_same_v<P, int> ? "*i4" : std::is_same_v<P, unsigned int> ? "*u4"
             : std::is_same_v<P, long long> || std::is_same_v<P, long> ? "*i8"
             : std::is_same_v<P, unsigned long long> || std::is_same_v<P, unsigned long> ? "*u8"
             : std::is_void_v<P> ? "*V" : "*?";
    } else {
        return code<U*>() + 1;
    }
}

template <class... A> const char* param_codes(void (*)(A...)) {
    static char buf[1024];
    buf[0] = 0;
    for (const char* c : {"", code<A>()...}) {
        if (*c == 0) continue;
        if (buf[0]) strcat(buf, ",");
        strncat(buf, c, sizeof buf - strlen(buf) - 8);
    }
    return buf;
}

template <class... A> int launch(void (*k)(A...), Launch* launch) {
    static void (*kernel)(A...);
    static void** args;
    kernel = k;
    args = launch->args;
    if (launch->nargs != int(sizeof...(A))) {
        snprintf(launch->message, sizeof launch->message, "expects %zu arguments, got %d", sizeof...(A), launch->nargs);
        return launch->status = BAD_LAUNCH;
    }
    return run_grid(launch, [] { call(kernel, args, std::index_sequence_for<A...>{}); });
}

// Shuffles exchange through per-warp slots: write own value, meet the warp, read the
// source lane. Two slot sets alternate, so one meeting per shuffle is enough.
template <class T> T exchange(unsigned mask, T v, int src_of_lane(int, int, int), int arg, int width) {
    static_assert(sizeof(T) <= 16, "shuffle of a value wider than 16 bytes");
    int lane = current % 32, warp = current / 32;
    if (!L->fibers) fail(BAD_SHUFFLE, "warp shuffle in a kernel compiled without fibers");
    Fiber& f = fibers[current];
    int p = f.parity;
    f.parity ^= 1;
    memcpy(slots[warp][p][lane], &v, sizeof(T));
    f.mask = mask;
    yield(AT_WARP);
    if (width <= 0 || width > 32 || (width & (width - 1)))
        fail(BAD_SHUFFLE, "shuffle width %d is not a power of two in [1, 32]", width);
    int src = src_of_lane(lane, arg, width);
    if (!((mask & lanes_present(warp)) >> src & 1))
        fail(BAD_SHUFFLE, "lane %d of warp %d reads lane %d, which is not in the mask 0x%08x or not in the block",
             lane, warp, src, mask);
    T out;
    memcpy(&out, slots[warp][p][src], sizeof(T));
    return out;
}

inline int src_idx(int lane, int arg, int w) { return (lane & ~(w - 1)) + (arg & (w - 1)); }
inline int src_up(int lane, int d, int w) { return (lane & (w - 1)) - d < 0 ? lane : lane - d; }
inline int src_down(int lane, int d, int w) { return (lane & (w - 1)) + d >= w ? lane : lane + d; }
inline int src_xor(int lane, int m, int w) { return ((lane ^ m) & ~(w - 1)) != (lane & ~(w - 1)) ? lane : lane ^ m; }

// Before an atomic operation a fiber may let the others run (a coin of the launch's seed),
// as another SM would have touched the word meanwhile; the operation itself is indivisible.
void contend() {
    if (L->fibers && coin()) yield(RUNNING);
}

template <class T> T rmw(T* p, T v) { contend(); T old = *p; *p = old + v; return old; }

}  // namespace
}  // namespace gg

inline void __syncthreads() {
    if (!gg::L->fibers) gg::fail(gg::BAD_LAUNCH, "__syncthreads in a kernel compiled without fibers");
    gg::yield(gg::AT_BARRIER);
}
inline void __syncwarp(unsigned mask = 0xffffffffu) { gg::exchange(mask, 0, gg::src_idx, 0, 32); }
inline void __threadfence() {}
inline void __threadfence_block() {}
template <class T> T __shfl_sync(unsigned m, T v, int src, int w = 32) { return gg::exchange(m, v, gg::src_idx, src, w); }
template <class T> T __shfl_up_sync(unsigned m, T v, unsigned d, int w = 32) { return gg::exchange(m, v, gg::src_up, int(d), w); }
template <class T> T __shfl_down_sync(unsigned m, T v, unsigned d, int w = 32) { return gg::exchange(m, v, gg::src_down, int(d), w); }
template <class T> T __shfl_xor_sync(unsigned m, T v, int x, int w = 32) { return gg::exchange(m, v, gg::src_xor, x, w); }
template <class T> T __shfl(T v, int src, int w = 32) { return __shfl_sync(0xffffffffu, v, src, w); }
template <class T> T __shfl_up(T v, unsigned d, int w = 32) { return __shfl_up_sync(0xffffffffu, v, d, w); }
template <class T> T __shfl_down(T v, unsigned d, int w = 32) { return __shfl_down_sync(0xffffffffu, v, d, w); }
template <class T> T __shfl_xor(T v, int x, int w = 32) { return __shfl_xor_sync(0xffffffffu, v, x, w); }
inline unsigned __ballot_sync(unsigned mask, int pred) {
    unsigned bits = 0;
    for (int l = 0; l < 32; ++l) bits |= unsigned(__shfl_sync(mask, pred != 0, l) && (mask >> l & 1)) << l;
    return bits;
}
inline int __any_sync(unsigned mask, int pred) { return __ballot_sync(mask, pred) != 0; }
inline int __all_sync(unsigned mask, int pred) { return __ballot_sync(mask, pred) == (mask & gg::lanes_present(gg::current / 32)); }

// Threads switch only at barriers, shuffles and the yield of contend(), so each of these
// read-modify-writes is indivisible.
inline int atomicAdd(int* p, int v) { return gg::rmw(p, v); }
inline unsigned atomicAdd(unsigned* p, unsigned v) { return gg::rmw(p, v); }
inline unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) { return gg::rmw(p, v); }
inline float atomicAdd(float* p, float v) { return gg::rmw(p, v); }
inline double atomicAdd(double* p, double v) { return gg::rmw(p, v); }
template <class T> complex<T> atomicAdd(complex<T>* p, complex<T> v) { return gg::rmw(p, v); }
template <class T> T atomicSub(T* p, T v) { return gg::rmw(p, T(-v)); }
template <class T> T atomicExch(T* p, T v) { gg::contend(); T old = *p; *p = v; return old; }
template <class T> T atomicMax(T* p, T v) { gg::contend(); T old = *p; *p = old < v ? v : old; return old; }
template <class T> T atomicMin(T* p, T v) { gg::contend(); T old = *p; *p = v < old ? v : old; return old; }
template <class T> T atomicCAS(T* p, T cmp, T v) { gg::contend(); T old = *p; if (old == cmp) *p = v; return old; }

template <class A, class B> __forceinline__ auto min(A a, B b) { return b < a ? b : a; }
template <class A, class B> __forceinline__ auto max(A a, B b) { return a < b ? b : a; }
template <class T> __forceinline__ T __ldg(const T* p) { return *p; }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __int_as_float(int x) { float f; memcpy(&f, &x, sizeof f); return f; }
inline double __longlong_as_double(long long x) { double d; memcpy(&d, &x, sizeof d); return d; }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __clz(int x) { return x ? __builtin_clz(unsigned(x)) : 32; }
inline int __ffs(int x) { return __builtin_ffs(x); }
[[noreturn]] inline void __trap() { gg::fail(gg::DEVICE_ASSERT, "__trap() called"); }

#undef assert
#define assert(e) ((e) ? (void)0 : gg::fail(gg::DEVICE_ASSERT, "device-side assertion `%s' failed at %s:%d", #e, __FILE__, __LINE__))
