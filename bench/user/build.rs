// Builds ../../atomic_waker.c with the shim in shim/, and glue.c.
fn main() {
    for f in ["../../atomic_waker.c", "../../atomic_waker.h", "glue.c", "shim/awb_shim.h"] {
        println!("cargo:rerun-if-changed={f}");
    }
    cc::Build::new()
        .file("../../atomic_waker.c")
        .file("glue.c")
        .include("shim")
        .include("../..")
        .opt_level(2)
        .flag("-std=gnu11")
        .flag("-fno-strict-aliasing")
        .flag("-Wno-unused-parameter")
        .compile("awc");
}
