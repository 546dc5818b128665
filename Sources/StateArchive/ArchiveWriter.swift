/// Appends values to a binary archive: little-endian fixed-width integers, IEEE-754 bit patterns
/// (so NaN payloads and −0 come back exactly), and length-prefixed arrays and strings.
///
/// Archives hold simulator state for checkpoints. Every part starts with a named section tag that
/// `ArchiveReader.section(_:)` checks, so a reader that disagrees with the writer fails with the
/// name of the part instead of reading garbage.
public struct ArchiveWriter: Sendable {
  public private(set) var bytes: [UInt8] = []

  public init() {}

  /// Marks the start of a named part.
  public mutating func section(_ name: String) { write(name) }

  public mutating func write(_ value: UInt64) {
    withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
  }

  public mutating func write(_ value: Int) { write(UInt64(bitPattern: Int64(value))) }

  public mutating func write(_ value: Double) { write(value.bitPattern) }

  public mutating func write(_ value: Bool) { bytes.append(value ? 1 : 0) }

  public mutating func write(_ value: String) {
    let utf8 = Array(value.utf8)
    write(utf8.count)
    bytes.append(contentsOf: utf8)
  }

  public mutating func write(_ values: [Float]) {
    write(values.count)
    // Every platform Swift runs on is little-endian: the in-memory bytes are the archive's.
    values.withUnsafeBytes { bytes.append(contentsOf: $0) }
  }

  public mutating func write(_ values: [Double]) {
    write(values.count)
    values.withUnsafeBytes { bytes.append(contentsOf: $0) }
  }

  public mutating func write(_ values: [Int]) {
    write(values.count)
    for value in values { write(value) }
  }

  public mutating func write(_ values: [UInt8]) {
    write(values.count)
    bytes.append(contentsOf: values)
  }

  public mutating func write(_ value: Int?) {
    write(value != nil)
    if let value { write(value) }
  }

  public mutating func write(_ value: Double?) {
    write(value != nil)
    if let value { write(value) }
  }

  /// A dictionary with its keys in ascending order (so equal states give equal archives).
  public mutating func write(_ values: [String: Double]) {
    write(values.count)
    for key in values.keys.sorted() {
      write(key)
      write(values[key]!)
    }
  }

  /// Any archivable value.
  public mutating func write<Value: Archivable>(_ value: Value) { value.archive(to: &self) }

  /// An array of archivable values.
  public mutating func write<Value: Archivable>(_ values: [Value]) {
    write(values.count)
    for value in values { value.archive(to: &self) }
  }
}

/// A value that can be written to an archive and read back exactly.
public protocol Archivable {
  func archive(to writer: inout ArchiveWriter)
  init(from reader: inout ArchiveReader) throws(ArchiveError)
}
