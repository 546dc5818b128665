import Foundation
import Graphs
import Learning
import Simulation

/// The readers of user files, fed raw bytes. This is the one place that says how an input reaches
/// each reader: the libFuzzer harnesses in `Fuzz/` and the corpus regression tests in
/// `Tests/FedSimTests` both call `run`, so a corpus file replays exactly what the fuzzer ran.
///
/// Every reader must give a value or its typed error for any bytes: no trap, no hang, no
/// allocation out of proportion to the input (see docs/reliability.md, "Fuzzing").
public enum FuzzTarget: String, CaseIterable, Sendable {
  /// A scenario file, then `--set` overrides: YAML, optionally followed by `overrideSeparator`
  /// and one `key.path=value` assignment per line.
  case scenario = "FuzzScenario"
  /// A safetensors file: the header is validated, then every tensor is read.
  case safetensors = "FuzzSafetensors"
  /// A `config.json` of a base model and an `adapter_config.json` (the same bytes, both readers).
  case modelConfig = "FuzzModelConfig"
  /// An edge list, read alone, then again with its node count required and connectivity checked.
  case edgeList = "FuzzEdgeList"
  /// A device trace, read as per-client values and as availability intervals.
  case traces = "FuzzTraces"

  /// Separates a scenario's YAML from the `--set` lines of a `scenario` input.
  public static let overrideSeparator = "\n---set---\n"

  /// The name of the input in error messages.
  public static let fileName = "fuzz-input"

  /// The longest input worth generating (libFuzzer's `-max_len`): well above the real files.
  public var maximumLength: Int {
    switch self {
    case .scenario: return 8192
    case .safetensors: return 16384
    case .modelConfig: return 4096
    case .edgeList: return 8192
    case .traces: return 4096
    }
  }

  /// One reader's verdict on an input: a summary of what it read, or its typed error.
  public typealias Outcome = Result<String, any Error>

  /// Feeds `data` to the readers of this target and returns their verdicts (one per reader call).
  /// Any bytes are fine; a crash, a trap or a hang here is a bug in a reader.
  @discardableResult
  public func run(_ data: Data) -> [Outcome] {
    switch self {
    case .scenario: return [Self.erase(Self.scenario(data)) { "scenario '\($0.name)' with \($0.clients) clients" }]
    case .safetensors: return [Self.erase(Self.safetensors(data)) { "\($0) values" }]
    case .modelConfig:
      return [
        Self.erase(Self.modelConfig(data)) { "model dim \($0.dim), \($0.layers) layers" },
        Self.erase(Self.adapterConfig(data)) { "adapter rank \($0.lora.rank)" },
      ]
    case .edgeList:
      let plain = Self.edgeList(data)
      var outcomes = [Self.erase(plain) { "\($0.nodeCount) nodes, \($0.edgeCount) edges" }]
      if case .success(let graph) = plain {
        outcomes.append(
          Self.erase(Self.edgeList(data, nodeCount: graph.nodeCount, requireConnected: true)) {
            "connected, \($0.nodeCount) nodes"
          })
      }
      return outcomes
    case .traces:
      return [
        Self.erase(Self.traceValues(data)) { "\($0.count) clients" },
        Self.erase(Self.traceIntervals(data)) { "\($0.count) clients, \($0.reduce(0) { $0 + $1.count }) intervals" },
      ]
    }
  }

  // MARK: - One reader each, with its typed error

  /// The scenario decoder with `--set` overrides (see `FuzzTarget.scenario`). Relative paths in
  /// the scenario resolve against the working directory, as for a file given there.
  public static func scenario(_ data: Data) -> Result<Scenario, ScenarioError> {
    let text = String(decoding: data, as: UTF8.self)
    var yaml = text
    var overrides: [String] = []
    if let separator = text.range(of: overrideSeparator) {
      yaml = String(text[..<separator.lowerBound])
      overrides = text[separator.upperBound...].split(separator: "\n").map(String.init)
    }
    return Result { () throws(ScenarioError) in try ScenarioDecoder.decode(yaml, file: fileName, overrides: overrides) }
  }

  /// The safetensors reader: the header, then every tensor as floats or integers by its dtype.
  /// Succeeds with the number of values read.
  public static func safetensors(_ data: Data) -> Result<Int, SafetensorsError> {
    Result { () throws(SafetensorsError) in
      let file = try SafetensorsFile(data: data, path: fileName)
      var values = 0
      for name in file.names {
        switch file.tensors[name]?.dtype {
        case .f64?, .f32?, .f16?, .bf16?: values += try file.floats(name).count
        case .i64?, .i32?, .i16?, .i8?, .u8?: values += try file.integers(name).count
        default:
          // BOOL is neither: both readers must refuse it with a typed error.
          do throws(SafetensorsError) {
            _ = try file.floats(name)
          } catch {
            guard case .wrongDType = error else { throw error }
          }
        }
      }
      return values
    }
  }

  /// A base model's `config.json`.
  public static func modelConfig(_ data: Data) -> Result<ModelConfig, CheckpointError> {
    Result { () throws(CheckpointError) in try ModelCheckpoint.config(data: data, file: fileName) }
  }

  /// An adapter's `adapter_config.json`.
  public static func adapterConfig(_ data: Data) -> Result<AdapterCheckpoint.Config, CheckpointError> {
    Result { () throws(CheckpointError) in try AdapterCheckpoint.config(data: data, file: fileName) }
  }

  /// The largest node count the edge-list harness accepts. `EdgeList.defaultMaximumNodeCount`
  /// (2²⁴) takes a few hundred milliseconds to build and check in a release build, but over
  /// libFuzzer's 5-second timeout with every comparison instrumented; the limit is the same check.
  public static let edgeListMaximumNodeCount = 1 << 20

  /// An edge list, as `EdgeList.read` parses a file's bytes.
  public static func edgeList(_ data: Data, nodeCount: Int? = nil, requireConnected: Bool = false) -> Result<Graph, EdgeListError> {
    Result { () throws(EdgeListError) in
      try EdgeList.parse(
        bytes: [UInt8](data), file: fileName, nodeCount: nodeCount, requireConnected: requireConnected,
        maximumNodeCount: edgeListMaximumNodeCount)
    }
  }

  /// A trace of per-client values (`client,value`).
  public static func traceValues(_ data: Data) -> Result<[Double], TraceFileError> {
    Result { () throws(TraceFileError) in try TraceFiles.values(data: data, file: fileName) }
  }

  /// A trace of availability intervals (`client,start,end`).
  public static func traceIntervals(_ data: Data) -> Result<[[Availability.ClosedInterval]], TraceFileError> {
    Result { () throws(TraceFileError) in try TraceFiles.intervals(data: data, file: fileName) }
  }

  static func erase<T, E: Error>(_ result: Result<T, E>, _ summary: (T) -> String) -> Outcome {
    switch result {
    case .success(let value): return .success(summary(value))
    case .failure(let error): return .failure(error)
    }
  }
}
