import Foundation
import StateArchive

/// What a checkpoint says about itself: enough to refuse one written for another run, and to
/// rebuild the run that resumes it.
struct CheckpointHeader: Codable, Equatable {
  /// The layout of the file (`CheckpointFile.format`).
  var format: Int
  /// The FedSim version that wrote it: the state's layout may change between versions.
  var fedsimVersion: String
  var scenarioName: String
  /// A checksum of the scenario text and the overrides.
  var scenarioDigest: String
  var seed: UInt64
  /// The BLAS kernel the run used: another kernel changes the last bits of every result.
  var blasKernel: String
  /// The scenario as given, with its file's path and directory (relative paths resolve there).
  var scenarioText: String
  var scenarioFile: String
  var scenarioDirectory: String
  var overrides: [String]
  /// Rounds whose records are in metrics.jsonl, and that file's length then.
  var roundsCompleted: Int
  var metricsBytes: Int
  /// Why it was written: "every N rounds" or "interrupted".
  var reason: String
  var writtenAt: String
}

/// A checkpoint file: magic, format, a JSON header, the binary state and a checksum of all of it.
/// Written to a temporary file, flushed to disk and renamed over the latest one, whose previous
/// version is kept, so a crash at any moment leaves at least one good checkpoint.
enum CheckpointFile {
  static let magic = Array("FEDSIMCP".utf8)
  static let format = 1
  static let latestName = "state.bin"
  static let previousName = "state.previous.bin"

  static func encode(header: CheckpointHeader, state: [UInt8]) -> [UInt8] {
    var writer = ArchiveWriter()
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let json = (try? encoder.encode(header)) ?? Data()
    writer.write(Array(json))
    writer.write(state)
    var bytes = magic + withUnsafeBytes(of: UInt64(format).littleEndian, Array.init) + writer.bytes
    bytes += withUnsafeBytes(of: archiveChecksum(bytes).littleEndian, Array.init)
    return bytes
  }

  /// The header and state of a checkpoint file's bytes, or why they cannot be used.
  static func decode(_ bytes: [UInt8]) -> Result<(CheckpointHeader, [UInt8]), CheckpointDamage> {
    guard bytes.count >= magic.count + 16, Array(bytes.prefix(magic.count)) == magic else {
      return .failure(.notACheckpoint)
    }
    let body = Array(bytes.dropLast(8))
    let stored = bytes.suffix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    guard archiveChecksum(body) == stored else { return .failure(.checksum) }
    var reader = ArchiveReader(Array(body.dropFirst(magic.count)))
    do {
      let format = try reader.readUInt64()
      guard format == UInt64(Self.format) else { return .failure(.format(Int(truncatingIfNeeded: format))) }
      let json = try reader.readBytes()
      let header = try JSONDecoder().decode(CheckpointHeader.self, from: Data(json))
      let state = try reader.readBytes()
      guard reader.isAtEnd else { return .failure(.layout("trailing bytes")) }
      return .success((header, state))
    } catch let error as ArchiveError {
      return .failure(.layout(error.description))
    } catch {
      return .failure(.layout("unreadable header: \(error.localizedDescription)"))
    }
  }

  /// Writes `bytes` as the latest checkpoint in `directory`, keeping the one it replaces.
  static func write(_ bytes: [UInt8], to directory: URL) throws(RunError) {
    let manager = FileManager.default
    let latest = directory.appendingPathComponent(latestName)
    let previous = directory.appendingPathComponent(previousName)
    let temporary = directory.appendingPathComponent(latestName + ".tmp")
    do {
      try manager.createDirectory(at: directory, withIntermediateDirectories: true)
      _ = manager.createFile(atPath: temporary.path, contents: nil)
      let handle = try FileHandle(forWritingTo: temporary)
      try handle.write(contentsOf: Data(bytes))
      try handle.synchronize()
      try handle.close()
      if manager.fileExists(atPath: latest.path) {
        if manager.fileExists(atPath: previous.path) { try manager.removeItem(at: previous) }
        try manager.moveItem(at: latest, to: previous)
      }
      try manager.moveItem(at: temporary, to: latest)
      syncDirectory(directory)
    } catch {
      throw .checkpoint(path: latest.path, reason: "could not be written: \(error.localizedDescription)")
    }
  }

  /// The newest usable checkpoint of `directory`: the latest, or the previous one when the latest
  /// is damaged (with a warning saying so).
  static func load(from directory: URL) throws(RunError) -> (header: CheckpointHeader, state: [UInt8], warnings: [String]) {
    var warnings: [String] = []
    var problems: [String] = []
    for name in [latestName, previousName] {
      let url = directory.appendingPathComponent(name)
      guard let data = FileManager.default.contents(atPath: url.path) else {
        problems.append("\(name): missing")
        continue
      }
      switch decode(Array(data)) {
      case .success(let (header, state)):
        if !problems.isEmpty { warnings.append("\(problems.joined(separator: "; ")); resuming from \(name) instead") }
        return (header, state, warnings)
      case .failure(let damage):
        problems.append("\(name): \(damage)")
      }
    }
    throw .checkpoint(
      path: directory.path, reason: "no usable checkpoint (\(problems.joined(separator: "; "))): the run cannot be resumed")
  }

  static func syncDirectory(_ directory: URL) {
    let descriptor = open(directory.path, O_RDONLY)
    guard descriptor >= 0 else { return }
    fsync(descriptor)
    close(descriptor)
  }
}

/// Why a checkpoint file cannot be read.
enum CheckpointDamage: Error, CustomStringConvertible {
  case notACheckpoint
  case checksum
  case format(Int)
  case layout(String)

  var description: String {
    switch self {
    case .notACheckpoint: return "not a FedSim checkpoint (no FEDSIMCP mark)"
    case .checksum: return "damaged (its checksum does not match: truncated or altered)"
    case .format(let format): return "written in checkpoint format \(format); this FedSim reads format \(CheckpointFile.format)"
    case .layout(let reason): return "damaged (\(reason))"
    }
  }
}
