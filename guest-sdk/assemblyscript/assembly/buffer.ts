// Memory kept for the life of the instance and grown when too small: the
// instance serves many events, so buffers are allocated once, not per event.
// It is unmanaged memory (heap.alloc): the garbage collector never scans it.
export class Buffer {
  ptr: usize = 0;
  capacity: usize = 0;

  /** Makes room for at least `size` bytes and returns the start address. */
  reserve(size: usize): usize {
    if (size > this.capacity) {
      const cap = max<usize>(size, max<usize>(this.capacity << 1, 256));
      this.ptr = this.ptr == 0 ? heap.alloc(cap) : heap.realloc(this.ptr, cap);
      this.capacity = cap;
    }
    return this.ptr;
  }
}
