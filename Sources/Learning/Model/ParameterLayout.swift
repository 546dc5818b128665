/// One named tensor inside a flat parameter buffer.
public struct ParameterEntry: Sendable, Equatable, Hashable {
  public let name: String
  public let shape: [Int]
  public let offset: Int
  public var count: Int { shape.reduce(1, *) }
}

/// The names, shapes and offsets of tensors packed back to back in one flat buffer.
///
/// Packing every trainable tensor into one buffer turns optimisers, gradient clipping and
/// federated averaging into single loops over contiguous memory.
public struct ParameterLayout: Sendable, Equatable, Hashable {
  public private(set) var entries: [ParameterEntry] = []
  private var indexByName: [String: Int] = [:]
  public private(set) var totalCount = 0

  public init() {}

  /// Appends a tensor, 16-float aligned so every tensor starts on a 64-byte boundary.
  public mutating func append(_ name: String, shape: [Int]) {
    precondition(indexByName[name] == nil, "duplicate parameter \(name)")
    let aligned = (totalCount + 15) / 16 * 16
    let entry = ParameterEntry(name: name, shape: shape, offset: aligned)
    indexByName[name] = entries.count
    entries.append(entry)
    totalCount = aligned + entry.count
  }

  public subscript(name: String) -> ParameterEntry? {
    indexByName[name].map { entries[$0] }
  }

  public var names: [String] { entries.map(\.name) }

  public static func == (lhs: ParameterLayout, rhs: ParameterLayout) -> Bool {
    lhs.entries == rhs.entries
  }

  public func hash(into hasher: inout Hasher) { hasher.combine(entries) }
}

/// A flat buffer of parameters (or gradients, or optimiser moments) described by a layout.
public final class ParameterSet: @unchecked Sendable {
  // @unchecked Sendable: see FloatStorage; a set is either shared read-only or owned by one worker.
  public let layout: ParameterLayout
  public let storage: FloatStorage

  public init(layout: ParameterLayout) {
    self.layout = layout
    self.storage = FloatStorage(count: layout.totalCount)
  }

  public init(layout: ParameterLayout, storage: FloatStorage) {
    precondition(storage.count == layout.totalCount, "storage does not match layout")
    self.layout = layout
    self.storage = storage
  }

  /// A pointer to the named tensor's first element. Traps on an unknown name: names come from
  /// the layout, never from user input (user input goes through the loaders, which check).
  public func pointer(_ name: String) -> UnsafeMutablePointer<Float> {
    guard let entry = layout[name] else { preconditionFailure("unknown parameter \(name)") }
    return storage.pointer + entry.offset
  }

  public func buffer(_ name: String) -> UnsafeMutableBufferPointer<Float> {
    guard let entry = layout[name] else { preconditionFailure("unknown parameter \(name)") }
    return .init(start: storage.pointer + entry.offset, count: entry.count)
  }

  /// A copy of the named tensor (tests, export).
  public func values(_ name: String) -> [Float] { Array(buffer(name)) }

  public func copy() -> ParameterSet { ParameterSet(layout: layout, storage: storage.copy()) }

  public func zero() { storage.zero() }

  /// The name of the first tensor holding a NaN or ±∞, nil when every value is finite.
  public func firstNonFiniteTensor() -> String? {
    let p = storage.pointer
    for entry in layout.entries {
      for i in entry.offset..<(entry.offset + entry.count) where !p[i].isFinite { return entry.name }
    }
    return nil
  }
}
