import Foundation
import Learning

/// A JSON value for metrics records (numbers print with full precision, keys sorted).
enum JSONValue {
  case int(Int), double(Double), string(String), bool(Bool), null
  indirect case array([JSONValue])
  indirect case object([String: JSONValue])

  var text: String {
    switch self {
    case .int(let v): return String(v)
    case .double(let v): return v.isFinite ? "\(v)" : "null"
    case .string(let v): return jsonString(v)
    case .bool(let v): return v ? "true" : "false"
    case .null: return "null"
    case .array(let items): return "[" + items.map(\.text).joined(separator: ", ") + "]"
    case .object(let fields):
      return "{" + fields.keys.sorted().map { "\(jsonString($0)): \(fields[$0]!.text)" }.joined(separator: ", ") + "}"
    }
  }
}

/// Writes the files of a run directory (inside the temporary folder the runner renames).
final class MetricsWriter {
  let directory: URL
  private let metrics: FileHandle
  /// The length of metrics.jsonl: what a checkpoint records, and a resumed run cuts it back to.
  private(set) var bytesWritten = 0

  /// A new metrics.jsonl in `directory`, or, when resuming, the existing one cut back to the
  /// `resumingAt` bytes the checkpoint saw (records written after it are written again).
  init(directory: URL, resumingAt: Int? = nil) throws(RunError) {
    self.directory = directory
    let url = directory.appendingPathComponent("metrics.jsonl")
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      if let resumingAt {
        metrics = try FileHandle(forWritingTo: url)
        let length = try metrics.seekToEnd()
        guard length >= UInt64(resumingAt) else {
          throw RunError.checkpoint(
            path: url.path, reason: "holds \(length) bytes, fewer than the \(resumingAt) the checkpoint recorded: it was changed")
        }
        try metrics.truncate(atOffset: UInt64(resumingAt))
        try metrics.seek(toOffset: UInt64(resumingAt))
        bytesWritten = resumingAt
      } else {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        metrics = try FileHandle(forWritingTo: url)
      }
    } catch let error as RunError {
      throw error
    } catch { throw .output(path: url.path, reason: error.localizedDescription) }
  }

  /// Closes the metrics file of a run that will not finish (idempotent).
  func close() { try? metrics.close() }

  /// Forces what was written to disk (before a checkpoint that counts on it).
  func synchronize() { try? metrics.synchronize() }

  func line(_ record: [String: JSONValue]) {
    let text = "{" + record.keys.sorted().map { "\(jsonString($0)): \(record[$0]!.text)" }.joined(separator: ", ") + "}\n"
    let data = Data(text.utf8)
    metrics.write(data)
    bytesWritten += data.count
  }

  func finish(
    summary: [String: Double], status: RunStatus, labels: [String: String] = [:], name: String, traceHash: String, scenarioText: String,
    resolved: Scenario, overrides: [String],
    clients: [[String]], trace: String?, adapters: [Adapter]
  ) throws(RunError) {
    do {
      try metrics.close()
      var fields = summary.keys.sorted().map { "  \(jsonString($0)): \(JSONValue.double(summary[$0]!).text)" }
      fields.append("  \"name\": \(jsonString(name))")
      fields.append("  \"status\": \(jsonString(status.rawValue))")
      for key in labels.keys.sorted() { fields.append("  \(jsonString(key)): \(jsonString(labels[key]!))") }
      fields.append("  \"trace_hash\": \(jsonString(traceHash))")
      fields.append("  \"overrides\": [\(overrides.map(jsonString).joined(separator: ", "))]")
      try ("{\n" + fields.joined(separator: ",\n") + "\n}\n").write(
        to: directory.appendingPathComponent("summary.json"), atomically: true, encoding: .utf8)
      try scenarioText.write(to: directory.appendingPathComponent("scenario.yaml"), atomically: true, encoding: .utf8)
      // The scenario with every default filled in and the overrides applied.
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      try encoder.encode(resolved).write(to: directory.appendingPathComponent("resolved.json"), options: .atomic)
      let csv =
        (["client,train_size,validation_size,participations,rejected_rounds,final_val_loss,epsilon"]
        + clients.map { $0.joined(separator: ",") }).joined(
          separator: "\n") + "\n"
      try csv.write(to: directory.appendingPathComponent("clients.csv"), atomically: true, encoding: .utf8)
      try (traceHash + "\n").write(to: directory.appendingPathComponent("trace.hash"), atomically: true, encoding: .utf8)
      if let trace { try (trace + "\n").write(to: directory.appendingPathComponent("trace.jsonl"), atomically: true, encoding: .utf8) }
      for (client, adapter) in adapters.enumerated() {
        try AdapterCheckpoint.save(adapter, to: directory.appendingPathComponent("adapters/client-\(client)"))
      }
    } catch let error as CheckpointError {
      throw .output(path: directory.path, reason: error.description)
    } catch { throw .output(path: directory.path, reason: error.localizedDescription) }
  }
}
