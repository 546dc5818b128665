/// An owned, 64-byte aligned buffer of `Float`s with reference semantics.
///
/// Model weights, adapters, gradients and activation arenas live in these buffers. Kernels take raw
/// pointers into them, which keeps hot loops free of copy-on-write and exclusivity checks.
public final class FloatStorage: @unchecked Sendable {
  // @unchecked Sendable: the storage itself does no synchronisation. Callers share a storage
  // read-only (the frozen base model) or hand disjoint ranges to workers.
  public let count: Int
  public let pointer: UnsafeMutablePointer<Float>

  /// A zero-filled buffer of `count` floats.
  public init(count: Int) {
    precondition(count >= 0, "negative storage size")
    self.count = count
    let raw = UnsafeMutableRawPointer.allocate(
      byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
    pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    pointer.initialize(repeating: 0, count: max(count, 1))
  }

  /// A buffer holding a copy of `values`.
  public convenience init(_ values: [Float]) {
    self.init(count: values.count)
    values.withUnsafeBufferPointer { source in
      if let base = source.baseAddress { pointer.update(from: base, count: values.count) }
    }
  }

  deinit { pointer.deallocate() }

  public var buffer: UnsafeMutableBufferPointer<Float> { .init(start: pointer, count: count) }

  /// A copy of the contents as an array (tests, export).
  public func toArray() -> [Float] { Array(buffer) }

  /// An independent copy.
  public func copy() -> FloatStorage {
    let other = FloatStorage(count: count)
    other.pointer.update(from: pointer, count: count)
    return other
  }

  public func zero() { pointer.update(repeating: 0, count: count) }

  public func copy(from other: FloatStorage) {
    precondition(other.count == count, "storage size mismatch")
    pointer.update(from: other.pointer, count: count)
  }
}
