import Foundation
import StateArchive

/// What happened in a run, event by event. Every processed event is folded into a stable 64-bit
/// hash (FNV-1a over a fixed byte encoding, independent of platform hashing), so tests and users
/// can compare runs with one number; the records themselves are kept only when asked for.
public struct EventTrace: Sendable {
  public struct Record: Sendable, Equatable, Codable {
    public let time: SimulatedTime
    public let kind: String
    public let client: Int
    public let peer: Int
    public let round: Int
    public let bytes: Int
  }

  public private(set) var hash: UInt64 = 0xcbf2_9ce4_8422_2325
  public private(set) var count = 0
  public let keepsRecords: Bool
  public private(set) var records: [Record] = []

  public init(keepsRecords: Bool = false) { self.keepsRecords = keepsRecords }

  /// Appends one event. `peer` is −1 when there is none (and the server is −1 as a client).
  public mutating func record(_ time: SimulatedTime, _ kind: String, client: Int = -1, peer: Int = -1, round: Int = -1, bytes: Int = 0) {
    mix(time.bitPattern)
    for byte in kind.utf8 { mixByte(byte) }
    mix(UInt64(bitPattern: Int64(client)))
    mix(UInt64(bitPattern: Int64(peer)))
    mix(UInt64(bitPattern: Int64(round)))
    mix(UInt64(bitPattern: Int64(bytes)))
    count += 1
    if keepsRecords { records.append(Record(time: time, kind: kind, client: client, peer: peer, round: round, bytes: bytes)) }
  }

  /// The hash as 16 hexadecimal digits.
  public var hexDigest: String { String(format: "%016llx", hash) }

  @inline(__always) private mutating func mixByte(_ byte: UInt8) {
    hash ^= UInt64(byte)
    hash &*= 0x0000_0100_0000_01b3
  }

  @inline(__always) private mutating func mix(_ value: UInt64) {
    var v = value
    for _ in 0..<8 {
      mixByte(UInt8(truncatingIfNeeded: v))
      v >>= 8
    }
  }

  /// The records as JSON Lines.
  public func jsonLines() -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return records.map { String(decoding: try! encoder.encode($0), as: UTF8.self) }.joined(separator: "\n")
  }
}

extension EventTrace: Archivable {
  public func archive(to writer: inout ArchiveWriter) {
    writer.section("trace")
    writer.write(hash)
    writer.write(count)
    writer.write(keepsRecords)
    writer.write(records.count)
    for record in records {
      writer.write(record.time)
      writer.write(record.kind)
      writer.write(record.client)
      writer.write(record.peer)
      writer.write(record.round)
      writer.write(record.bytes)
    }
  }

  public init(from reader: inout ArchiveReader) throws(ArchiveError) {
    try reader.section("trace")
    hash = try reader.readUInt64()
    count = try reader.readInt()
    keepsRecords = try reader.readBool()
    let recordCount = try reader.readCount(elementSize: 48, "trace records")
    records.reserveCapacity(recordCount)
    for _ in 0..<recordCount {
      records.append(
        Record(
          time: try reader.readDouble(), kind: try reader.readString(), client: try reader.readInt(), peer: try reader.readInt(),
          round: try reader.readInt(), bytes: try reader.readInt()))
    }
  }
}
