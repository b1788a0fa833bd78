//! User-space benchmark: atomic_waker.c (built with user/shim in its benchmark mode) against
//! futures-core's `AtomicWaker` and the atomic-waker crate, in one process.
//!
//! Every operation goes through one out-of-line call per implementation (the
//! C functions through FFI, the Rust ones through `#[inline(never)]`
//! wrappers), the loops are the same, the wakers count and do not sleep, and
//! the three implementations are interleaved run by run.  Prints a markdown
//! table of median ns/op (min..max over the runs).
//!
//! Usage: awbench [nruns] [iterations]

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Barrier;
use std::task::{RawWaker, RawWakerVTable, Waker};
use std::time::Instant;

// ---- the C side (../../atomic_waker.c + glue.c) ---------------------------

/// struct atomic_waker_target: one tagged pointer.
#[repr(C)]
#[derive(Clone, Copy)]
struct AwWaker {
    word: usize,
}

/// struct atomic_waker: one atomic_long_t (size checked at run time).
#[repr(C)]
struct CAtomicWaker {
    slot: usize,
}

unsafe impl Sync for CAtomicWaker {}

extern "C" {
    fn atomic_waker_init(aw: *mut CAtomicWaker);
    fn atomic_waker_register(aw: *mut CAtomicWaker, w: AwWaker) -> i32;
    fn awb_c_wake(aw: *mut CAtomicWaker) -> bool;
    fn atomic_waker_destroy(aw: *mut CAtomicWaker);
    fn awb_c_counting_waker(counter: *mut u64) -> AwWaker;
    fn awb_c_wake_caller_mb(aw: *mut CAtomicWaker) -> bool;
    fn awb_c_loop_limit(aw: *mut CAtomicWaker, n: u64);
    fn awb_c_loop_wake(aw: *mut CAtomicWaker, n: u64);
    fn awb_c_loop_caller_mb(aw: *mut CAtomicWaker, n: u64);
    fn awb_c_limit(aw: *mut CAtomicWaker) -> bool;
    fn awb_c_sizeof() -> usize;
    fn awb_pin(cpu: i32) -> i32;
}

// ---- the counting waker, for the Rust implementations ---------------------

unsafe fn rw_clone(p: *const ()) -> RawWaker {
    RawWaker::new(p, &VTABLE)
}
unsafe fn rw_wake(p: *const ()) {
    let c = &*(p as *const AtomicU64);
    c.store(c.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}
unsafe fn rw_drop(_: *const ()) {}
static VTABLE: RawWakerVTable = RawWakerVTable::new(rw_clone, rw_wake, rw_wake, rw_drop);

fn counting_waker(c: &'static AtomicU64) -> Waker {
    unsafe { Waker::from_raw(RawWaker::new(c as *const AtomicU64 as *const (), &VTABLE)) }
}

// ---- one interface over the three -----------------------------------------

trait Imp: Sync + Sized + 'static {
    type W: Sync;
    const NAME: &'static str;
    fn new() -> Self;
    fn waker(c: &'static AtomicU64) -> Self::W;
    fn register(&self, w: &Self::W);
    fn wake(&self);
    /// wake for a caller that supplies the barrier; the plain wake if none
    fn model_wake(&self) {
        self.wake()
    }
    /// n wakes in a C loop, inlined: 0 atomic_waker_wake(), 1
    /// is_registered() + wake(), 2 the smp_mb() + load limit (C only)
    fn c_loop(&self, _which: u32, _n: u64) {}
    /// smp_mb() + one load: the limit of an empty wake with a barrier
    fn limit(&self) {
        self.wake()
    }
}

struct C(Box<std::cell::UnsafeCell<CAtomicWaker>>);
unsafe impl Sync for C {}
struct CW(AwWaker);
unsafe impl Sync for CW {}

impl C {
    fn p(&self) -> *mut CAtomicWaker {
        self.0.get()
    }
}

impl Drop for C {
    fn drop(&mut self) {
        unsafe { atomic_waker_destroy(self.p()) }
    }
}

impl Imp for C {
    type W = CW;
    const NAME: &'static str = "atomic_waker.c";
    fn new() -> Self {
        let c = C(Box::new(std::cell::UnsafeCell::new(CAtomicWaker {
            slot: 0,
        })));
        unsafe { atomic_waker_init(c.p()) };
        c
    }
    fn waker(c: &'static AtomicU64) -> CW {
        CW(unsafe { awb_c_counting_waker(c.as_ptr()) })
    }
    fn register(&self, w: &CW) {
        unsafe { atomic_waker_register(self.p(), w.0) };
    }
    fn wake(&self) {
        unsafe { awb_c_wake(self.p()) };
    }
    fn model_wake(&self) {
        unsafe { awb_c_wake_caller_mb(self.p()) };
    }
    fn c_loop(&self, which: u32, n: u64) {
        match which {
            0 => unsafe { awb_c_loop_wake(self.p(), n) },
            1 => unsafe { awb_c_loop_caller_mb(self.p(), n) },
            _ => unsafe { awb_c_loop_limit(self.p(), n) },
        }
    }
    fn limit(&self) {
        unsafe { awb_c_limit(self.p()) };
    }
}

/// The two Rust crates share their API: one impl each, from one template.
macro_rules! rust_imp {
    ($name:ident, $ty:ty, $label:expr) => {
        struct $name($ty);

        impl Imp for $name {
            type W = Waker;
            const NAME: &'static str = $label;
            fn new() -> Self {
                $name(<$ty>::new())
            }
            fn waker(c: &'static AtomicU64) -> Waker {
                counting_waker(c)
            }
            #[inline(never)]
            fn register(&self, w: &Waker) {
                self.0.register(w)
            }
            #[inline(never)]
            fn wake(&self) {
                self.0.wake()
            }
        }
    };
}

rust_imp!(Futures, futures_core::task::__internal::AtomicWaker, "futures-core 0.3");
rust_imp!(Smol, atomic_waker::AtomicWaker, "atomic-waker 1.x");

// ---- scenarios: each returns ns per operation -----------------------------

static C1: AtomicU64 = AtomicU64::new(0);
static C2: AtomicU64 = AtomicU64::new(0);

#[derive(Clone, Copy, PartialEq)]
enum Scn {
    Register,
    Reregister,
    RegisterWake,
    EmptyWake,
    EmptyWakeModel,
    EmptyLimit,
    LoopWake,
    LoopCallerMb,
    LoopLimit,
    EmptyWake2,
    EmptyWake2Model,
    Mix2,
}

const SCENARIOS: &[(Scn, &str, &str)] = &[
    (Scn::Register, "register (two wakers alternating)", ""),
    (Scn::Reregister, "re-register the same waker", ""),
    (Scn::RegisterWake, "register + wake", "<= 0.6x"),
    (Scn::EmptyWake, "wake, nothing registered, 1 thread", "<= 0.2x"),
    (Scn::EmptyWakeModel, "  same, C is_registered() + wake() (caller's barrier)", ""),
    (Scn::EmptyLimit, "  C limit: smp_mb() + one load", ""),
    (Scn::LoopWake, "  C loop, inlined, 8 per pass: atomic_waker_wake()", ""),
    (Scn::LoopCallerMb, "  C loop, inlined, 8 per pass: is_registered() + wake()", ""),
    (Scn::LoopLimit, "  C loop, inlined, 8 per pass: smp_mb() + one load", ""),
    (Scn::EmptyWake2, "wake, nothing registered, 2 threads", "<= 0.1x"),
    (Scn::EmptyWake2Model, "  same, C is_registered() + wake() (caller's barrier)", ""),
    (Scn::Mix2, "contended mix: register+wake vs wake", ""),
];

fn ns_per(t: Instant, n: u64) -> f64 {
    t.elapsed().as_nanos() as f64 / n as f64
}

/// Two pinned threads, each running `f(thread index)` after a barrier; the
/// wall time of the slower one per iteration.
fn two_threads<F: Fn(usize) + Sync>(n: u64, f: F) -> f64 {
    let bar = Barrier::new(2);
    let times: Vec<f64> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..2)
            .map(|i| {
                let (bar, f) = (&bar, &f);
                s.spawn(move || {
                    unsafe { awb_pin(i as i32) };
                    bar.wait();
                    let t = Instant::now();
                    f(i);
                    ns_per(t, n)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    times.into_iter().fold(0.0, f64::max)
}

fn run<I: Imp>(scn: Scn, n: u64) -> f64 {
    let a = I::new();
    let w1 = I::waker(&C1);
    let w2 = I::waker(&C2);
    let a = &a;
    match scn {
        Scn::Register => {
            let t = Instant::now();
            for i in 0..n {
                a.register(black_box(if i & 1 == 0 { &w1 } else { &w2 }));
            }
            ns_per(t, n)
        }
        Scn::Reregister => {
            a.register(&w1);
            let t = Instant::now();
            for _ in 0..n {
                a.register(black_box(&w1));
            }
            ns_per(t, n)
        }
        Scn::RegisterWake => {
            let before = C1.load(Ordering::Relaxed);
            let t = Instant::now();
            for _ in 0..n {
                a.register(black_box(&w1));
                a.wake();
            }
            let r = ns_per(t, n);
            assert_eq!(C1.load(Ordering::Relaxed) - before, n, "{}: wakes lost", I::NAME);
            r
        }
        Scn::EmptyWake | Scn::EmptyWakeModel | Scn::EmptyLimit => {
            let t = Instant::now();
            for _ in 0..n {
                match scn {
                    Scn::EmptyWakeModel => a.model_wake(),
                    Scn::EmptyLimit => a.limit(),
                    _ => a.wake(),
                }
            }
            ns_per(t, n)
        }
        Scn::LoopWake | Scn::LoopCallerMb | Scn::LoopLimit => {
            let which = match scn {
                Scn::LoopWake => 0,
                Scn::LoopCallerMb => 1,
                _ => 2,
            };
            let t = Instant::now();
            a.c_loop(which, n);
            ns_per(t, n)
        }
        Scn::EmptyWake2 | Scn::EmptyWake2Model => {
            let model = scn == Scn::EmptyWake2Model;
            two_threads(n, |_| {
                for _ in 0..n {
                    if model {
                        a.model_wake()
                    } else {
                        a.wake()
                    }
                }
            })
        }
        Scn::Mix2 => two_threads(n, |i| {
            for _ in 0..n {
                if i == 0 {
                    a.register(black_box(&w1));
                }
                a.wake();
            }
        }),
    }
}

fn median(v: &mut [f64]) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (v[0], v[v.len() / 2], v[v.len() - 1])
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let nruns: usize = args.get(1).map_or(11, |s| s.parse().expect("nruns"));
    let n: u64 = args.get(2).map_or(2_000_000, |s| s.parse().expect("iterations"));
    assert_eq!(std::mem::size_of::<CAtomicWaker>(), unsafe { awb_c_sizeof() });

    println!("## atomic_waker user-space benchmark\n");
    println!(
        "ns per operation, median (min..max) of {nruns} interleaved runs of {n} iterations; \
         2-thread rows: wall time of the slower thread per iteration, threads pinned to CPUs 0 and 1; \
         ratio = atomic_waker.c / futures-core, of the medians and of the minimums \
         (the minimum is the steadier one on a shared machine).\n"
    );
    println!(
        "| scenario | {} | {} | {} | ratio | ratio of min | target |",
        C::NAME,
        Futures::NAME,
        Smol::NAME
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for &(scn, name, target) in SCENARIOS {
        let model = matches!(
            scn,
            Scn::EmptyWakeModel
                | Scn::EmptyLimit
                | Scn::LoopWake
                | Scn::LoopCallerMb
                | Scn::LoopLimit
                | Scn::EmptyWake2Model
        );
        let iters = if matches!(scn, Scn::EmptyWake2 | Scn::EmptyWake2Model | Scn::Mix2) {
            n / 4
        } else {
            n
        };
        let mut res = [vec![], vec![], vec![]];
        for _ in 0..(nruns / 5).max(1) {
            // warm-up
            run::<C>(scn, iters / 10);
            run::<Futures>(scn, iters / 10);
            run::<Smol>(scn, iters / 10);
        }
        for r in 0..nruns {
            for k in 0..3 {
                let i = (k + r) % 3;
                let v = match i {
                    0 => run::<C>(scn, iters),
                    1 if model => continue,
                    1 => run::<Futures>(scn, iters),
                    _ if model => continue,
                    _ => run::<Smol>(scn, iters),
                };
                res[i].push(v);
            }
        }
        let cell = |v: &mut Vec<f64>| {
            if v.is_empty() {
                ("-".to_string(), 0.0, 0.0)
            } else {
                let (lo, med, hi) = median(v);
                (format!("{med:.2} ({lo:.2}..{hi:.2})"), med, lo)
            }
        };
        let (c, cm, cl) = cell(&mut res[0]);
        let (f, fm, fl) = cell(&mut res[1]);
        let (s, _, _) = cell(&mut res[2]);
        let (ratio, rmin) = if model {
            ("-".to_string(), "-".to_string())
        } else {
            (format!("{:.2}x", cm / fm), format!("{:.2}x", cl / fl))
        };
        println!("| {name} | {c} | {f} | {s} | {ratio} | {rmin} | {target} |");
    }
    println!(
        "\nsizeof: struct atomic_waker {} bytes; futures-core AtomicWaker {} bytes; \
         atomic-waker AtomicWaker {} bytes",
        std::mem::size_of::<CAtomicWaker>(),
        std::mem::size_of::<futures_core::task::__internal::AtomicWaker>(),
        std::mem::size_of::<atomic_waker::AtomicWaker>()
    );
}
