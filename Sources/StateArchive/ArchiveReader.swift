/// Reads what an `ArchiveWriter` wrote, in the same order. Every read is bounds-checked and every
/// length is checked against the bytes left before anything is allocated, so a damaged archive
/// gives an `ArchiveError`, never a trap or a huge allocation.
public struct ArchiveReader: Sendable {
  let bytes: [UInt8]
  public private(set) var offset = 0

  public init(_ bytes: [UInt8]) { self.bytes = bytes }

  /// Whether every byte was read.
  public var isAtEnd: Bool { offset == bytes.count }

  /// Checks that the next part is the named one.
  public mutating func section(_ name: String) throws(ArchiveError) {
    let start = offset
    let found: String
    do { found = try readString() } catch { throw .sectionMismatch(expected: name, found: "unreadable bytes", offset: start) }
    guard found == name else { throw .sectionMismatch(expected: name, found: String(found.prefix(64)), offset: start) }
  }

  mutating func take(_ count: Int, _ what: String) throws(ArchiveError) -> ArraySlice<UInt8> {
    guard count >= 0, count <= bytes.count - offset else { throw .truncated(reading: what, offset: offset) }
    defer { offset += count }
    return bytes[offset..<(offset + count)]
  }

  public mutating func readUInt64() throws(ArchiveError) -> UInt64 {
    let slice = try take(8, "an integer")
    var value: UInt64 = 0
    for (shift, byte) in slice.enumerated() { value |= UInt64(byte) << (8 * UInt64(shift)) }
    return value
  }

  public mutating func readInt() throws(ArchiveError) -> Int { Int(Int64(bitPattern: try readUInt64())) }

  /// A count of elements of `size` bytes each: never more than the bytes left could hold.
  public mutating func readCount(elementSize: Int = 1, _ what: String) throws(ArchiveError) -> Int {
    let start = offset
    let count = try readInt()
    guard count >= 0, count <= (bytes.count - offset) / max(elementSize, 1) else {
      throw .invalid(what: "length of \(what)", value: "\(count)", offset: start)
    }
    return count
  }

  public mutating func readDouble() throws(ArchiveError) -> Double { Double(bitPattern: try readUInt64()) }

  public mutating func readBool() throws(ArchiveError) -> Bool {
    let start = offset
    let byte = try take(1, "a flag").first!
    guard byte <= 1 else { throw .invalid(what: "flag", value: "\(byte)", offset: start) }
    return byte == 1
  }

  public mutating func readString() throws(ArchiveError) -> String {
    let count = try readCount("a string")
    return String(decoding: try take(count, "a string"), as: UTF8.self)
  }

  public mutating func readFloats() throws(ArchiveError) -> [Float] {
    let count = try readCount(elementSize: 4, "a Float array")
    let slice = try take(4 * count, "a Float array")
    var values = [Float](repeating: 0, count: count)
    values.withUnsafeMutableBytes { out in slice.withUnsafeBytes { out.copyMemory(from: $0) } }
    return values
  }

  public mutating func readDoubles() throws(ArchiveError) -> [Double] {
    let count = try readCount(elementSize: 8, "a Double array")
    let slice = try take(8 * count, "a Double array")
    var values = [Double](repeating: 0, count: count)
    values.withUnsafeMutableBytes { out in slice.withUnsafeBytes { out.copyMemory(from: $0) } }
    return values
  }

  public mutating func readInts() throws(ArchiveError) -> [Int] {
    let count = try readCount(elementSize: 8, "an Int array")
    var values = [Int](repeating: 0, count: count)
    for i in 0..<count { values[i] = try readInt() }
    return values
  }

  public mutating func readBytes() throws(ArchiveError) -> [UInt8] {
    let count = try readCount("a byte array")
    return Array(try take(count, "a byte array"))
  }

  public mutating func readOptionalInt() throws(ArchiveError) -> Int? { try readBool() ? try readInt() : nil }

  public mutating func readOptionalDouble() throws(ArchiveError) -> Double? { try readBool() ? try readDouble() : nil }

  public mutating func readDictionary() throws(ArchiveError) -> [String: Double] {
    let count = try readCount(elementSize: 16, "a dictionary")
    var values: [String: Double] = [:]
    for _ in 0..<count {
      let key = try readString()
      values[key] = try readDouble()
    }
    return values
  }

  public mutating func read<Value: Archivable>(_ type: Value.Type = Value.self) throws(ArchiveError) -> Value {
    try Value(from: &self)
  }

  public mutating func readArray<Value: Archivable>(of type: Value.Type = Value.self) throws(ArchiveError) -> [Value] {
    let count = try readCount("an array of \(Value.self)")
    var values: [Value] = []
    values.reserveCapacity(count)
    for _ in 0..<count { values.append(try Value(from: &self)) }
    return values
  }
}
