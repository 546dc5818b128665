/// The seven linear projections of a Llama block, named as Hugging Face names them.
public enum Projection: String, CaseIterable, Sendable, Codable, Hashable {
  case q = "q_proj", k = "k_proj", v = "v_proj", o = "o_proj"
  case gate = "gate_proj", up = "up_proj", down = "down_proj"

  /// The module path inside a block (`self_attn.q_proj`, `mlp.down_proj`, …).
  public var modulePath: String {
    switch self {
    case .q, .k, .v, .o: return "self_attn.\(rawValue)"
    case .gate, .up, .down: return "mlp.\(rawValue)"
    }
  }

  /// (out, in) of the projection's weight for a given config.
  public func shape(_ config: ModelConfig) -> (out: Int, in: Int) {
    switch self {
    case .q: return (config.dim, config.dim)
    case .k, .v: return (config.kvDim, config.dim)
    case .o: return (config.dim, config.dim)
    case .gate, .up: return (config.ffnDim, config.dim)
    case .down: return (config.dim, config.ffnDim)
    }
  }
}

/// Hugging Face Llama tensor names; the base model uses them natively, so import and export are
/// a matter of copying tensors.
public enum LlamaNames {
  public static let embedding = "model.embed_tokens.weight"
  public static let finalNorm = "model.norm.weight"
  public static let lmHead = "lm_head.weight"

  public static func projection(_ layer: Int, _ projection: Projection) -> String {
    "model.layers.\(layer).\(projection.modulePath).weight"
  }

  public static func attentionNorm(_ layer: Int) -> String {
    "model.layers.\(layer).input_layernorm.weight"
  }

  public static func mlpNorm(_ layer: Int) -> String {
    "model.layers.\(layer).post_attention_layernorm.weight"
  }
}

extension ParameterLayout {
  /// The base model's layout: HF names, weights stored (out, in).
  public static func llama(_ config: ModelConfig) -> ParameterLayout {
    var layout = ParameterLayout()
    layout.append(LlamaNames.embedding, shape: [config.vocabSize, config.dim])
    for layer in 0..<config.layers {
      layout.append(LlamaNames.attentionNorm(layer), shape: [config.dim])
      for projection in Projection.allCases {
        let (out, inp) = projection.shape(config)
        layout.append(LlamaNames.projection(layer, projection), shape: [out, inp])
      }
      layout.append(LlamaNames.mlpNorm(layer), shape: [config.dim])
    }
    layout.append(LlamaNames.finalNorm, shape: [config.dim])
    if !config.tiedEmbeddings {
      layout.append(LlamaNames.lmHead, shape: [config.vocabSize, config.dim])
    }
    return layout
  }
}
