// Builds ../../atomic_waker.c with the user-space shim, ../../user/shim, in
// its benchmark mode (user/shim/bench/kshim_config.h, found first), and glue.c.
fn main() {
    for f in ["../../atomic_waker.c", "../../atomic_waker.h", "glue.c",
              "../../user/shim/kshim.h", "../../user/shim/kshim_bench.h",
              "../../user/shim/bench/kshim_config.h"] {
        println!("cargo:rerun-if-changed={f}");
    }
    cc::Build::new()
        .file("../../atomic_waker.c")
        .file("glue.c")
        .include("../../user/shim/bench")
        .include("../../user/shim")
        .include("../..")
        .opt_level(2)
        .flag("-std=gnu11")
        .flag("-fno-strict-aliasing")
        .flag("-Wno-unused-parameter")
        .compile("awc");
}
