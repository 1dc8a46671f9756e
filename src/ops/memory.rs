//! Giving freed memory back to the operating system.
//!
//! glibc keeps freed heap pages resident until something asks for them back. After a
//! burst (thousands of sockets connecting at once, each with its short-lived database
//! results), that was ≈14 KiB per open socket of memory nobody used: measured with
//! 10,000 idle sockets, 490 MB RSS before a trim and 348 MB after.

/// Returns free heap pages to the OS. Cheap (a walk over free chunks); call it now and then.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks and madvises glibc's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}
