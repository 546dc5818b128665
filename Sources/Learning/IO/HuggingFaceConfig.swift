import Foundation

/// The fields FedSim reads from and writes to a Hugging Face Llama `config.json`.
struct HuggingFaceLlamaConfig: Codable {
  var architectures: [String]?
  var modelType: String?
  var vocabSize: Int?
  var hiddenSize: Int?
  var intermediateSize: Int?
  var numHiddenLayers: Int?
  var numAttentionHeads: Int?
  var numKeyValueHeads: Int?
  var headDim: Int?
  var maxPositionEmbeddings: Int?
  var rmsNormEps: Double?
  var ropeTheta: Double?
  var ropeParameters: RopeParameters?
  var ropeScaling: RopeParameters?
  var tieWordEmbeddings: Bool?
  var hiddenAct: String?
  var attentionBias: Bool?
  var mlpBias: Bool?
  var torchDtype: String?
  var bosTokenId: Int?
  var eosTokenId: Int?
  var padTokenId: Int?

  struct RopeParameters: Codable {
    var ropeTheta: Double?
    var ropeType: String?
    var type: String?
    enum CodingKeys: String, CodingKey {
      case ropeTheta = "rope_theta", ropeType = "rope_type", type
    }
  }

  enum CodingKeys: String, CodingKey {
    case architectures, modelType = "model_type", vocabSize = "vocab_size", hiddenSize = "hidden_size"
    case intermediateSize = "intermediate_size", numHiddenLayers = "num_hidden_layers"
    case numAttentionHeads = "num_attention_heads", numKeyValueHeads = "num_key_value_heads"
    case headDim = "head_dim", maxPositionEmbeddings = "max_position_embeddings", rmsNormEps = "rms_norm_eps"
    case ropeTheta = "rope_theta", ropeParameters = "rope_parameters", ropeScaling = "rope_scaling"
    case tieWordEmbeddings = "tie_word_embeddings", hiddenAct = "hidden_act", attentionBias = "attention_bias"
    case mlpBias = "mlp_bias", torchDtype = "torch_dtype", bosTokenId = "bos_token_id"
    case eosTokenId = "eos_token_id", padTokenId = "pad_token_id"
  }

  init(_ config: ModelConfig) {
    architectures = ["LlamaForCausalLM"]
    modelType = "llama"
    vocabSize = config.vocabSize
    hiddenSize = config.dim
    intermediateSize = config.ffnDim
    numHiddenLayers = config.layers
    numAttentionHeads = config.heads
    numKeyValueHeads = config.kvHeads
    headDim = config.headDim
    maxPositionEmbeddings = config.contextLength
    rmsNormEps = Double(config.normEps)
    ropeTheta = Double(config.ropeTheta)
    tieWordEmbeddings = config.tiedEmbeddings
    hiddenAct = "silu"
    attentionBias = false
    mlpBias = false
    torchDtype = "float32"
    if config.vocabSize == ByteTokenizer.vocabularySize {
      let tokenizer = ByteTokenizer()
      bosTokenId = Int(tokenizer.beginOfSequence)
      eosTokenId = Int(tokenizer.endOfSequence)
      padTokenId = Int(tokenizer.padding)
    }
  }

  /// The model config, or an error naming the file and the offending field.
  func modelConfig(file: String) throws(CheckpointError) -> ModelConfig {
    func required(_ value: Int?, _ field: String) throws(CheckpointError) -> Int {
      guard let value else { throw .invalidConfig(file: file, field: field, value: "missing", expected: "an integer") }
      return value
    }
    if let modelType, modelType != "llama" {
      throw .invalidConfig(file: file, field: "model_type", value: modelType, expected: "\"llama\"")
    }
    if let act = hiddenAct, act != "silu" {
      throw .invalidConfig(file: file, field: "hidden_act", value: act, expected: "\"silu\" (SwiGLU)")
    }
    if attentionBias == true {
      throw .invalidConfig(file: file, field: "attention_bias", value: "true", expected: "false (biases are not supported)")
    }
    if mlpBias == true {
      throw .invalidConfig(file: file, field: "mlp_bias", value: "true", expected: "false (biases are not supported)")
    }
    for (field, rope) in [("rope_scaling", ropeScaling), ("rope_parameters", ropeParameters)] {
      if let kind = rope?.ropeType ?? rope?.type, kind != "default" {
        throw .invalidConfig(
          file: file, field: "\(field).rope_type", value: kind, expected: "\"default\" (scaled rotary embeddings are not supported)")
      }
    }
    let hidden = try required(hiddenSize, "hidden_size")
    let heads = try required(numAttentionHeads, "num_attention_heads")
    // The product is checked for overflow: both numbers come from the file.
    if let headDim, heads > 0, headDim.multipliedReportingOverflow(by: heads) != (hidden, false) {
      throw .invalidConfig(
        file: file, field: "head_dim", value: "\(headDim)", expected: "hidden_size / num_attention_heads = \(hidden / max(heads, 1))")
    }
    let theta = ropeParameters?.ropeTheta ?? ropeTheta ?? 10_000
    let config = ModelConfig(
      vocabSize: try required(vocabSize, "vocab_size"), dim: hidden, layers: try required(numHiddenLayers, "num_hidden_layers"),
      heads: heads, kvHeads: numKeyValueHeads ?? heads, ffnDim: try required(intermediateSize, "intermediate_size"),
      contextLength: try required(maxPositionEmbeddings, "max_position_embeddings"), normEps: Float(rmsNormEps ?? 1e-6),
      ropeTheta: Float(theta), tiedEmbeddings: tieWordEmbeddings ?? false)
    do { try config.validate() } catch {
      if case .invalidConfig(let field, let value, let expected) = error {
        throw .invalidConfig(file: file, field: field, value: value, expected: expected)
      }
      throw .model(error)
    }
    return config
  }
}
