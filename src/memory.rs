//! Gives freed heap memory back to the operating system after the rare operation that
//! needs a lot of it for a short while (a large import: the parse buffers of its reader
//! thread, the importing connection's page cache). glibc keeps such memory in its
//! per-thread arenas, so without this the process's RSS would stay at the import's
//! peak, and the index of the new rows would be added on top of it.

/// Returns the free pages of every heap arena to the system (glibc `malloc_trim`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn release_free_memory() {
    unsafe extern "C" {
        fn malloc_trim(pad: usize) -> i32;
    }
    // SAFETY: malloc_trim takes no pointer and only releases pages no allocation uses.
    unsafe {
        malloc_trim(0);
    }
}

/// Elsewhere the allocator manages this itself.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free_memory() {}
