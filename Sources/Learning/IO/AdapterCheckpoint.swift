import Foundation

/// LoRA adapters in Hugging Face PEFT layout: `adapter_config.json` + `adapter_model.safetensors`.
public enum AdapterCheckpoint {
  public static let configFile = "adapter_config.json"
  public static let weightsFile = "adapter_model.safetensors"

  struct PEFTConfig: Codable {
    var peftType: String?
    var taskType: String?
    var r: Int?
    var loraAlpha: Double?
    var loraDropout: Double?
    var targetModules: TargetModules?
    var useRslora: Bool?
    var useDora: Bool?
    var bias: String?
    var fanInFanOut: Bool?
    var baseModelNameOrPath: String?
    var inferenceMode: Bool?
    var rankPattern: [String: Int]?
    var alphaPattern: [String: Double]?
    var layersToTransform: [Int]?
    var modulesToSave: [String]?
    /// FedSim's mixture of LoRA experts (CoMiGS); absent in plain PEFT adapters.
    var fedsimMixture: MixtureFields?

    struct MixtureFields: Codable {
      var experts: Int
      var generalists: Int
      var topK: Int
      var importance: Double
      var balanceWeight: Double
      /// The experts this client uses when it holds fewer than the layout (absent: all).
      var activeExperts: Int?
      enum CodingKeys: String, CodingKey {
        case experts, generalists, topK = "top_k", importance, balanceWeight = "balance_weight", activeExperts = "active_experts"
      }
    }

    enum CodingKeys: String, CodingKey {
      case fedsimMixture = "fedsim_mixture"
      case peftType = "peft_type", taskType = "task_type", r, loraAlpha = "lora_alpha", loraDropout = "lora_dropout"
      case targetModules = "target_modules", useRslora = "use_rslora", useDora = "use_dora", bias
      case fanInFanOut = "fan_in_fan_out", baseModelNameOrPath = "base_model_name_or_path"
      case inferenceMode = "inference_mode", rankPattern = "rank_pattern", alphaPattern = "alpha_pattern"
      case layersToTransform = "layers_to_transform", modulesToSave = "modules_to_save"
    }

    /// PEFT accepts a list of module names or a single regular expression.
    enum TargetModules: Codable {
      case list([String]), pattern(String)
      init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let list = try? container.decode([String].self) {
          self = .list(list)
        } else {
          self = .pattern(try container.decode(String.self))
        }
      }
      func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .list(let list): try container.encode(list)
        case .pattern(let pattern): try container.encode(pattern)
        }
      }
    }
  }

  /// What `adapter_config.json` says: the LoRA settings and, for a client holding fewer experts
  /// than its mixture's layout, how many it uses.
  public struct Config: Sendable, Equatable {
    public let lora: LoRAConfig
    public let activeExperts: Int?
  }

  /// Loads an adapter for a model with `model`'s shapes.
  public static func load(from directory: URL, model: ModelConfig) throws(CheckpointError) -> Adapter {
    let configURL = directory.appendingPathComponent(configFile)
    let settings = try config(data: try readFile(configURL), file: configURL.path)
    let weightsURL = directory.appendingPathComponent(weightsFile)
    guard FileManager.default.fileExists(atPath: weightsURL.path) else { throw .missingFile(path: weightsURL.path) }
    let tensors: SafetensorsFile
    do { tensors = try SafetensorsFile(contentsOf: weightsURL) } catch { throw .tensors(error) }
    var adapter = Adapter(config: settings.lora, parameters: ParameterSet(layout: .lora(settings.lora, model: model)))
    if let active = settings.activeExperts { adapter.activeExperts = active }
    try ModelCheckpoint.fill(adapter.parameters, from: tensors)
    return adapter
  }

  /// The adapter settings in the contents of an `adapter_config.json`, validated; `file` names it
  /// in errors.
  public static func config(data: Data, file: String) throws(CheckpointError) -> Config {
    let peft: PEFTConfig = try decodeJSON(data, file: file)
    func invalid(_ field: String, _ value: String, _ expected: String) -> CheckpointError {
      .invalidConfig(file: file, field: field, value: value, expected: expected)
    }
    if let type = peft.peftType, type != "LORA" { throw invalid("peft_type", type, "\"LORA\"") }
    guard let rank = peft.r else { throw invalid("r", "missing", "a positive integer") }
    if peft.useDora == true { throw invalid("use_dora", "true", "false (DoRA is not supported)") }
    if let bias = peft.bias, bias != "none" { throw invalid("bias", bias, "\"none\"") }
    if peft.fanInFanOut == true { throw invalid("fan_in_fan_out", "true", "false") }
    if let pattern = peft.rankPattern, !pattern.isEmpty {
      throw invalid("rank_pattern", "\(pattern)", "{} (per-module ranks are not supported)")
    }
    if let pattern = peft.alphaPattern, !pattern.isEmpty {
      throw invalid("alpha_pattern", "\(pattern)", "{} (per-module alphas are not supported)")
    }
    if let layers = peft.layersToTransform { throw invalid("layers_to_transform", "\(layers)", "null (adapters on every layer)") }
    if let modules = peft.modulesToSave, !modules.isEmpty { throw invalid("modules_to_save", "\(modules)", "null") }
    var targets = Set<Projection>()
    switch peft.targetModules {
    case .list(let names)?:
      for name in names {
        guard let projection = Projection(rawValue: name) else {
          throw invalid("target_modules", "\"\(name)\"", "names among \(Projection.allCases.map(\.rawValue))")
        }
        targets.insert(projection)
      }
    case .pattern(let pattern)?:
      throw invalid("target_modules", "\"\(pattern)\"", "a list of module names (regular expressions are not supported)")
    case nil: throw invalid("target_modules", "missing", "a list of module names")
    }
    let mixture = peft.fedsimMixture.map {
      MixtureConfig(
        experts: $0.experts, generalists: $0.generalists, topK: $0.topK, importance: $0.importance, balanceWeight: $0.balanceWeight)
    }
    let lora = LoRAConfig(
      rank: rank, alpha: Float(peft.loraAlpha ?? 8), useRSLoRA: peft.useRslora ?? false,
      dropout: Float(peft.loraDropout ?? 0), targets: targets, mixture: mixture)
    do { try lora.validate() } catch {
      if case .invalidConfig(let field, let value, let expected) = error { throw invalid(field, value, expected) }
      throw .model(error)
    }
    let active = peft.fedsimMixture?.activeExperts
    if let active {
      // validate() made experts ≥ 1; the range is not built from it, so no value can trap here.
      let experts = mixture?.experts ?? 0
      guard active >= 1 && active <= experts else {
        throw invalid("fedsim_mixture.active_experts", "\(active)", "1…\(experts) (the experts)")
      }
    }
    return Config(lora: lora, activeExperts: active)
  }

  /// Writes the adapter in PEFT layout (loadable with `PeftModel.from_pretrained`). A mixture of
  /// experts adds `fedsim_mixture` to adapter_config.json and its experts and routers (named by
  /// `MixtureNames`) to the safetensors file: FedSim reads it back, PEFT does not know experts.
  public static func save(_ adapter: Adapter, to directory: URL, baseModel: String? = nil) throws(CheckpointError) {
    try createDirectory(directory)
    let lora = adapter.config
    let peft = PEFTConfig(
      peftType: "LORA", taskType: "CAUSAL_LM", r: lora.rank, loraAlpha: Double(lora.alpha),
      loraDropout: Double(lora.dropout), targetModules: .list(lora.orderedTargets.map(\.rawValue)),
      useRslora: lora.useRSLoRA, useDora: false, bias: "none", fanInFanOut: false, baseModelNameOrPath: baseModel,
      inferenceMode: true, rankPattern: [:], alphaPattern: [:], layersToTransform: nil, modulesToSave: nil,
      fedsimMixture: lora.mixture.map {
        PEFTConfig.MixtureFields(
          experts: $0.experts, generalists: $0.generalists, topK: $0.topK, importance: $0.importance, balanceWeight: $0.balanceWeight,
          activeExperts: adapter.activeExperts)
      })
    try writeJSON(peft, to: directory.appendingPathComponent(configFile))
    var writer = SafetensorsWriter(metadata: ["format": "pt"])
    writer.add(adapter.parameters)
    do { try writer.write(to: directory.appendingPathComponent(weightsFile)) } catch { throw .tensors(error) }
  }
}
