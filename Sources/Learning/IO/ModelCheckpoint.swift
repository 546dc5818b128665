import Foundation

/// Base-model directories in Hugging Face Llama layout: `config.json` + `model.safetensors`.
/// FedSim writes its own checkpoints in the same layout, so either loads with `transformers`.
public enum ModelCheckpoint {
  public static let configFile = "config.json"
  public static let weightsFile = "model.safetensors"

  /// Loads a config and its weights (converted to Float32), checking every tensor's name and
  /// shape against the config.
  public static func load(from directory: URL) throws(CheckpointError) -> (config: ModelConfig, weights: ParameterSet) {
    let configURL = directory.appendingPathComponent(configFile)
    let config = try self.config(data: try readFile(configURL), file: configURL.path)
    let weightsURL = directory.appendingPathComponent(weightsFile)
    guard FileManager.default.fileExists(atPath: weightsURL.path) else {
      if FileManager.default.fileExists(atPath: directory.appendingPathComponent("model.safetensors.index.json").path) {
        throw .unreadable(
          path: weightsURL.path,
          reason: "sharded checkpoints (model.safetensors.index.json) are not supported; merge the shards into one file")
      }
      throw .missingFile(path: weightsURL.path)
    }
    let file: SafetensorsFile
    do { file = try SafetensorsFile(contentsOf: weightsURL) } catch { throw .tensors(error) }
    let weights = ParameterSet(layout: .llama(config))
    // Tensors HF checkpoints may carry that the model does not need.
    var ignorable: Set<String> = Set(file.names.filter { $0.hasSuffix("rotary_emb.inv_freq") })
    if config.tiedEmbeddings { ignorable.insert(LlamaNames.lmHead) }
    try fill(weights, from: file, ignoring: ignorable)
    return (config, weights)
  }

  /// The model config in the contents of a `config.json`, validated (sizes included) before
  /// anything is allocated; `file` names it in errors.
  public static func config(data: Data, file: String) throws(CheckpointError) -> ModelConfig {
    let hf: HuggingFaceLlamaConfig = try decodeJSON(data, file: file)
    return try hf.modelConfig(file: file)
  }

  /// Writes `config.json` and `model.safetensors` into `directory` (created if needed); each file
  /// is written atomically.
  public static func save(
    config: ModelConfig, weights: ParameterSet, to directory: URL, metadata: [String: String] = [:]
  ) throws(CheckpointError) {
    try createDirectory(directory)
    try writeJSON(HuggingFaceLlamaConfig(config), to: directory.appendingPathComponent(configFile))
    var writer = SafetensorsWriter(metadata: metadata.merging(["format": "pt"]) { a, _ in a })
    writer.add(weights)
    do { try writer.write(to: directory.appendingPathComponent(weightsFile)) } catch { throw .tensors(error) }
  }

  /// Copies every tensor of `parameters`' layout from the file, with shape checks.
  static func fill(_ parameters: ParameterSet, from file: SafetensorsFile, ignoring: Set<String> = [])
    throws(CheckpointError)
  {
    for entry in parameters.layout.entries {
      guard let info = file.tensors[entry.name] else {
        throw .model(.missingTensor(name: entry.name, file: file.path))
      }
      guard info.shape == entry.shape else {
        throw .model(.shapeMismatch(name: entry.name, expected: entry.shape, found: info.shape, file: file.path))
      }
      do { try file.readFloats(entry.name, into: parameters.buffer(entry.name)) } catch { throw .tensors(error) }
    }
    for name in file.names where parameters.layout[name] == nil && !ignoring.contains(name) {
      throw .model(.unexpectedTensor(name: name, file: file.path))
    }
  }
}

// MARK: - JSON helpers

/// The bytes of a file that must exist.
func readFile(_ url: URL) throws(CheckpointError) -> Data {
  guard FileManager.default.fileExists(atPath: url.path) else { throw .missingFile(path: url.path) }
  do { return try Data(contentsOf: url) } catch { throw .unreadable(path: url.path, reason: error.localizedDescription) }
}

func decodeJSON<T: Decodable>(_ data: Data, file: String) throws(CheckpointError) -> T {
  do { return try JSONDecoder().decode(T.self, from: data) } catch let error as DecodingError {
    throw .invalidJSON(path: file, reason: describe(error))
  } catch { throw .invalidJSON(path: file, reason: error.localizedDescription) }
}

func writeJSON<T: Encodable>(_ value: T, to url: URL) throws(CheckpointError) {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
  do { try encoder.encode(value).write(to: url, options: .atomic) } catch {
    throw .unwritable(path: url.path, reason: error.localizedDescription)
  }
}

func createDirectory(_ url: URL) throws(CheckpointError) {
  do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
    throw .unwritable(path: url.path, reason: error.localizedDescription)
  }
}

/// A decoding error as "field: problem".
func describe(_ error: DecodingError) -> String {
  func path(_ keys: [any CodingKey]) -> String {
    keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
  }
  switch error {
  case .typeMismatch(let type, let context): return "\(path(context.codingPath)): expected \(type)"
  case .valueNotFound(let type, let context): return "\(path(context.codingPath)): expected \(type), found null"
  case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])): missing"
  case .dataCorrupted(let context): return "\(path(context.codingPath)): \(context.debugDescription)"
  @unknown default: return String(describing: error)
  }
}
