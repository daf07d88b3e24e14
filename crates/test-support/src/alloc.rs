//! A global allocator that counts: the heap bytes the whole process holds, and the
//! allocations and frees one thread makes while it measures.
//!
//! Every test binary that counts declares its own global allocator (only a binary can):
//!
//! ```ignore
//! use dutycycle_test_support::alloc::CountingAllocator;
//!
//! #[global_allocator]
//! static GLOBAL: CountingAllocator = CountingAllocator;
//! ```
//!
//! Without that declaration the functions here see nothing: [`counted`] reports zero and
//! [`live_bytes`] stays at zero. Both figures cover only Rust's heap; C code that calls
//! `malloc` itself (Aeron's) is not counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicI64, Ordering};

/// The system allocator, counting what goes through it.
///
/// Install it with `#[global_allocator]` in the test binary (see the [module](self) docs);
/// read it with [`live_bytes`], [`counted`] or [`start_counting`] / [`stop_counting`].
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAllocator;

/// Allocations and frees one thread made while it counted.
///
/// # Examples
///
/// ```
/// use dutycycle_test_support::alloc::Counts;
///
/// let counts = Counts { allocations: 2, frees: 1 };
/// assert_eq!(counts.total(), 3);
/// assert_eq!(Counts::default().total(), 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Calls of `alloc`, `alloc_zeroed` and `realloc`.
    pub allocations: u64,
    /// Calls of `dealloc`.
    pub frees: u64,
}

impl Counts {
    /// Allocations and frees together: any touch of the heap.
    ///
    /// # Examples
    ///
    /// ```
    /// # use dutycycle_test_support::alloc::Counts;
    /// assert_eq!(Counts { allocations: 0, frees: 4 }.total(), 4);
    /// ```
    pub fn total(self) -> u64 {
        self.allocations + self.frees
    }
}

/// Bytes allocated and not yet freed, by Rust code of any thread.
static LIVE_BYTES: AtomicI64 = AtomicI64::new(0);

thread_local! {
    // Const-initialised and without destructors: reading or writing them never allocates,
    // which the allocator itself relies on.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNTS: Cell<Counts> = const { Cell::new(Counts { allocations: 0, frees: 0 }) };
}

fn note(allocation: bool) {
    // `try_with`: thread-locals may already be gone while a thread exits.
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        let _ = COUNTS.try_with(|counts| {
            let mut now = counts.get();
            if allocation {
                now.allocations += 1;
            } else {
                now.frees += 1;
            }
            counts.set(now);
        });
    }
}

fn add_live(bytes: i64) {
    // Relaxed: a statistic, read after the measured work is joined or done on the reading
    // thread itself.
    LIVE_BYTES.fetch_add(bytes, Ordering::Relaxed);
}

fn size(bytes: usize) -> i64 {
    i64::try_from(bytes).unwrap_or(i64::MAX)
}

// SAFETY: every method forwards to the system allocator with the caller's arguments and
// returns its result unchanged; the counting touches only an atomic and const-initialised
// thread-locals without destructors, which never allocate.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(true);
        // SAFETY: forwarded as is; the caller upholds `alloc`'s contract.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            add_live(size(layout.size()));
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(true);
        // SAFETY: forwarded as is; the caller upholds `alloc_zeroed`'s contract.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            add_live(size(layout.size()));
        }
        ptr
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(true);
        // SAFETY: forwarded as is; the caller upholds `realloc`'s contract.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        // A failed realloc leaves the old block in place.
        if !new.is_null() {
            add_live(size(new_size) - size(layout.size()));
        }
        new
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(false);
        add_live(-size(layout.size()));
        // SAFETY: forwarded as is; the caller upholds `dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Heap bytes allocated and not yet freed by Rust code of any thread, since the process
/// started (zero without a [`CountingAllocator`] installed).
///
/// # Examples
///
/// ```
/// use dutycycle_test_support::alloc::{live_bytes, CountingAllocator};
///
/// #[global_allocator]
/// static GLOBAL: CountingAllocator = CountingAllocator;
///
/// fn main() {
///     let before = live_bytes();
///     let kept = vec![0u8; 1 << 20];
///     // Other threads may allocate or free meanwhile, but not a mebibyte.
///     assert!(live_bytes() - before > (1 << 19));
///     drop(kept);
///     assert!(live_bytes() - before < (1 << 19));
/// }
/// ```
pub fn live_bytes() -> i64 {
    LIVE_BYTES.load(Ordering::Relaxed)
}

/// Starts counting the calling thread's allocations and frees, from zero.
///
/// # Examples
///
/// ```
/// use dutycycle_test_support::alloc::{start_counting, stop_counting, Counts};
///
/// start_counting();
/// let counts = stop_counting();
/// assert_eq!(counts, Counts::default(), "nothing allocated in between");
/// ```
pub fn start_counting() {
    COUNTS.set(Counts::default());
    COUNTING.set(true);
}

/// Stops counting the calling thread's allocations and frees; what it counted since
/// [`start_counting`].
///
/// # Examples
///
/// ```
/// use dutycycle_test_support::alloc::{start_counting, stop_counting};
///
/// start_counting();
/// assert_eq!(stop_counting().total(), 0);
/// ```
pub fn stop_counting() -> Counts {
    COUNTING.set(false);
    COUNTS.get()
}

/// Runs `f` and counts the allocations and frees it makes on the calling thread.
///
/// # Examples
///
/// ```
/// use dutycycle_test_support::alloc::{counted, CountingAllocator, Counts};
///
/// #[global_allocator]
/// static GLOBAL: CountingAllocator = CountingAllocator;
///
/// fn main() {
///     let ((), counts) = counted(|| drop(Box::new(1u8)));
///     assert_eq!(counts, Counts { allocations: 1, frees: 1 });
///     let (sum, counts) = counted(|| 1 + 2);
///     assert_eq!((sum, counts.total()), (3, 0));
/// }
/// ```
pub fn counted<T>(f: impl FnOnce() -> T) -> (T, Counts) {
    start_counting();
    let result = f();
    (result, stop_counting())
}
