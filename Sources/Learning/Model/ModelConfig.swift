import Foundation

/// Hyper-parameters of a Llama-style decoder (Touvron et al. 2023; Hugging Face `LlamaConfig`).
public struct ModelConfig: Codable, Sendable, Equatable, Hashable {
  /// Number of token ids (256 bytes + BOS/EOS/PAD for the byte tokenizer).
  public var vocabSize: Int
  /// Width of the residual stream (HF `hidden_size`).
  public var dim: Int
  /// Number of decoder blocks.
  public var layers: Int
  /// Number of query heads.
  public var heads: Int
  /// Number of key/value heads; `heads` must be a multiple (grouped-query attention).
  public var kvHeads: Int
  /// Hidden width of the SwiGLU MLP (HF `intermediate_size`).
  public var ffnDim: Int
  /// Maximum sequence length.
  public var contextLength: Int
  /// RMSNorm epsilon.
  public var normEps: Float
  /// Rotary embedding base.
  public var ropeTheta: Float
  /// Whether the LM head reuses the token embedding matrix.
  public var tiedEmbeddings: Bool

  public init(
    vocabSize: Int = ByteTokenizer.vocabularySize, dim: Int, layers: Int, heads: Int,
    kvHeads: Int? = nil, ffnDim: Int, contextLength: Int, normEps: Float = 1e-5,
    ropeTheta: Float = 10_000, tiedEmbeddings: Bool = false
  ) {
    self.vocabSize = vocabSize
    self.dim = dim
    self.layers = layers
    self.heads = heads
    self.kvHeads = kvHeads ?? heads
    self.ffnDim = ffnDim
    self.contextLength = contextLength
    self.normEps = normEps
    self.ropeTheta = ropeTheta
    self.tiedEmbeddings = tiedEmbeddings
  }

  /// Width of one attention head.
  public var headDim: Int { dim / heads }
  /// Width of the packed key (or value) projection.
  public var kvDim: Int { kvHeads * headDim }

  /// Checks the constraints the kernels rely on.
  public func validate() throws(ModelError) {
    func require(_ ok: Bool, _ field: String, _ value: Int, _ expected: String) throws(ModelError) {
      if !ok { throw .invalidConfig(field: field, value: String(value), expected: expected) }
    }
    try require(vocabSize > 0, "vocab_size", vocabSize, "a positive integer")
    try require(dim > 0, "hidden_size", dim, "a positive integer")
    try require(layers > 0, "num_hidden_layers", layers, "a positive integer")
    try require(heads > 0 && dim % heads == 0, "num_attention_heads", heads, "a positive divisor of hidden_size \(dim)")
    try require(headDim % 2 == 0, "head_dim", headDim, "an even number (rotary embeddings rotate pairs)")
    try require(kvHeads > 0 && heads % kvHeads == 0, "num_key_value_heads", kvHeads, "a positive divisor of num_attention_heads \(heads)")
    try require(ffnDim > 0, "intermediate_size", ffnDim, "a positive integer")
    try require(contextLength > 0, "max_position_embeddings", contextLength, "a positive integer")
    if !(normEps > 0) { throw .invalidConfig(field: "rms_norm_eps", value: "\(normEps)", expected: "a positive number") }
    if !(ropeTheta > 0) { throw .invalidConfig(field: "rope_theta", value: "\(ropeTheta)", expected: "a positive number") }
    // Sizes read from a file are checked before anything is allocated (or looped over).
    let limit = ModelConfig.memoryLimit
    guard let bytes = estimatedBytes, bytes <= limit else {
      throw .invalidConfig(
        field: "size",
        value:
          "vocab_size \(vocabSize), hidden_size \(dim), num_hidden_layers \(layers), intermediate_size \(ffnDim), max_position_embeddings \(contextLength)",
        expected:
          "a model whose weights fit in memory: these need \(estimatedBytes.map(Self.gigabytes) ?? "more than 2⁶³ bytes"), this machine has \(Self.gigabytes(limit))"
      )
    }
  }

  /// Bytes of the Float32 weights and the rotary tables, computed with overflow checks (nil when
  /// the count does not fit in an Int).
  public var estimatedBytes: Int? {
    func product(_ factors: Int...) -> Int? {
      var result = 1
      for factor in factors {
        let (value, overflow) = result.multipliedReportingOverflow(by: factor)
        if overflow { return nil }
        result = value
      }
      return result
    }
    func sum(_ terms: Int?...) -> Int? {
      var result = 0
      for term in terms {
        guard let term else { return nil }
        let (value, overflow) = result.addingReportingOverflow(term)
        if overflow { return nil }
        result = value
      }
      return result
    }
    let kv = product(kvHeads, dim / max(heads, 1))
    let perLayer = sum(product(2, dim, dim), kv.flatMap { product(2, $0, dim) }, product(3, dim, ffnDim), product(2, dim))
    let embeddings = product(tiedEmbeddings ? 1 : 2, vocabSize, dim)
    let rotary = product(contextLength, dim / max(heads, 1))
    guard let floats = sum(perLayer.flatMap { product(layers, $0) }, embeddings, dim, rotary) else { return nil }
    return product(floats, 4)
  }

  /// What a model may take: the machine's physical memory (`FEDSIM_MAX_MEMORY` bytes, when set, lowers it).
  public static var memoryLimit: Int {
    let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
    guard let text = ProcessInfo.processInfo.environment["FEDSIM_MAX_MEMORY"], let bytes = Int(text), bytes > 0 else { return physical }
    return min(physical, bytes)
  }

  static func gigabytes(_ bytes: Int) -> String { String(format: "%.3g GB", Double(bytes) / 1e9) }

  /// Number of parameters of the base model.
  public var parameterCount: Int { ParameterLayout.llama(self).totalCount }
}

extension ModelConfig {
  /// The named benchmark configurations (byte vocabulary, SwiGLU, untied head).
  public static let presets: [String: ModelConfig] = [
    "nano": ModelConfig(dim: 64, layers: 2, heads: 4, ffnDim: 176, contextLength: 64),
    "micro": ModelConfig(dim: 128, layers: 4, heads: 4, ffnDim: 352, contextLength: 128),
    "mini": ModelConfig(dim: 256, layers: 6, heads: 8, ffnDim: 704, contextLength: 256),
  ]

  public static var nano: ModelConfig { presets["nano"]! }
  public static var micro: ModelConfig { presets["micro"]! }
  public static var mini: ModelConfig { presets["mini"]! }
}
