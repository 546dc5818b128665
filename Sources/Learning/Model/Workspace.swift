/// The activation arena of one worker: every buffer a forward and backward pass needs, carved
/// out of a single allocation sized from the config, the adapter and the batch shape. Steps reuse
/// it, so the training loop does not allocate.
public final class Workspace: @unchecked Sendable {
  // @unchecked Sendable: a workspace belongs to one worker at a time.
  public let config: ModelConfig
  public let lora: LoRAConfig?
  public let batchSize: Int
  public let sequenceLength: Int
  /// Whether activations of every layer are kept (training) or one layer's are reused (inference).
  public let keepsActivations: Bool
  let storage: FloatStorage

  var rows: Int { batchSize * sequenceLength }

  // Per-layer activations (one slot each when !keepsActivations).
  let residual: UnsafeMutablePointer<Float>  // (layers+1) × (rows, dim): block inputs, then output
  let midResidual: UnsafeMutablePointer<Float>  // layers × (rows, dim): after attention
  let norm1: UnsafeMutablePointer<Float>, rstd1: UnsafeMutablePointer<Float>
  let norm2: UnsafeMutablePointer<Float>, rstd2: UnsafeMutablePointer<Float>
  /// layers × (rows, [q | k | v]): the three projections side by side, so one product computes them.
  let qkv: UnsafeMutablePointer<Float>
  let probabilities: UnsafeMutablePointer<Float>  // layers × (batch, heads, seq, seq)
  let attention: UnsafeMutablePointer<Float>  // layers × (rows, dim): heads before o_proj
  /// layers × (rows, [gate | up]).
  let gateUp: UnsafeMutablePointer<Float>
  let act: UnsafeMutablePointer<Float>
  let loraHidden: UnsafeMutablePointer<Float>  // layers × targets × (rows, rank)
  let loraInput: UnsafeMutablePointer<Float>?  // layers × targets × (rows, maxIn): dropped-out inputs
  let loraMask: UnsafeMutablePointer<Float>?  // same shape: 0 or 1/(1−p)
  let finalNorm: UnsafeMutablePointer<Float>, finalRstd: UnsafeMutablePointer<Float>
  /// (rows, vocab): logits after a forward pass, dLogits during backward.
  public let logits: UnsafeMutablePointer<Float>

  // Backward scratch, shared by all layers.
  let dResidual: UnsafeMutablePointer<Float>, dNorm: UnsafeMutablePointer<Float>
  let dQKV: UnsafeMutablePointer<Float>
  let dAttention: UnsafeMutablePointer<Float>
  let dGateUp: UnsafeMutablePointer<Float>, dAct: UnsafeMutablePointer<Float>
  let dScores: UnsafeMutablePointer<Float>
  let dLoraHidden: UnsafeMutablePointer<Float>
  let dDropped: UnsafeMutablePointer<Float>

  let layerSlots: Int
  /// Width of a packed q|k|v row.
  let qkvWidth: Int
  let targetCount: Int
  let maxProjectionInput: Int
  /// The mixture-of-experts MLP's buffers, when the adapter has a mixture.
  let mixture: MixtureBuffers?

  public init(
    config: ModelConfig, lora: LoRAConfig?, batchSize: Int, sequenceLength: Int,
    keepsActivations: Bool = true
  ) {
    precondition(batchSize > 0 && sequenceLength > 0, "empty workspace")
    self.config = config
    self.lora = lora
    self.batchSize = batchSize
    self.sequenceLength = sequenceLength
    self.keepsActivations = keepsActivations
    let rows = batchSize * sequenceLength
    let slots = keepsActivations ? config.layers : 1
    layerSlots = slots
    let d = config.dim, kv = config.kvDim, f = config.ffnDim
    let targets = lora?.sharedTargets.count ?? 0
    targetCount = targets
    let rank = lora?.rank ?? 0
    maxProjectionInput = max(d, f)
    let dropout = (lora?.dropout ?? 0) > 0

    var sizes: [Int] = []
    func reserve(_ count: Int) -> Int {
      sizes.append((count + 15) / 16 * 16)
      return sizes.count - 1
    }
    let slotResidual = reserve((slots + 1) * rows * d)
    let slotMid = reserve(slots * rows * d)
    let slotNorm1 = reserve(slots * rows * d), slotRstd1 = reserve(slots * rows)
    let slotNorm2 = reserve(slots * rows * d), slotRstd2 = reserve(slots * rows)
    qkvWidth = d + 2 * kv
    let slotQKV = reserve(slots * rows * (d + 2 * kv))
    let slotP = reserve(slots * batchSize * config.heads * sequenceLength * sequenceLength)
    let slotAttention = reserve(slots * rows * d)
    let slotGateUp = reserve(slots * rows * 2 * f), slotAct = reserve(slots * rows * f)
    let slotHidden = reserve(slots * targets * rows * rank)
    let slotLoraInput = reserve(dropout ? slots * targets * rows * max(d, f) : 0)
    let slotLoraMask = reserve(dropout ? slots * targets * rows * max(d, f) : 0)
    let slotFinalNorm = reserve(rows * d), slotFinalRstd = reserve(rows)
    let slotLogits = reserve(rows * config.vocabSize)
    let backward = keepsActivations
    let slotDResidual = reserve(backward ? rows * d : 0), slotDNorm = reserve(backward ? rows * d : 0)
    let slotDQKV = reserve(backward ? rows * (d + 2 * kv) : 0), slotDAttention = reserve(backward ? rows * d : 0)
    let slotDGateUp = reserve(backward ? rows * 2 * f : 0)
    let slotDAct = reserve(backward ? rows * f : 0)
    let slotDScores = reserve(backward ? sequenceLength * sequenceLength : 0)
    let slotDHidden = reserve(backward ? rows * rank : 0)
    let slotDDropped = reserve(backward && dropout ? rows * max(d, f) : 0)

    storage = FloatStorage(count: sizes.reduce(0, +))
    mixture = lora?.mixture.map {
      MixtureBuffers(
        mixture: $0, targets: lora?.expertTargets ?? [], config: config, rank: rank, dropout: dropout, rows: rows, slots: slots,
        backward: keepsActivations)
    }
    var offsets: [Int] = []
    var running = 0
    for size in sizes {
      offsets.append(running)
      running += size
    }
    let base = storage.pointer
    func at(_ slot: Int) -> UnsafeMutablePointer<Float> { base + offsets[slot] }
    residual = at(slotResidual)
    midResidual = at(slotMid)
    norm1 = at(slotNorm1); rstd1 = at(slotRstd1)
    norm2 = at(slotNorm2); rstd2 = at(slotRstd2)
    qkv = at(slotQKV)
    probabilities = at(slotP)
    attention = at(slotAttention)
    gateUp = at(slotGateUp); act = at(slotAct)
    loraHidden = at(slotHidden)
    loraInput = dropout ? at(slotLoraInput) : nil
    loraMask = dropout ? at(slotLoraMask) : nil
    finalNorm = at(slotFinalNorm); finalRstd = at(slotFinalRstd)
    logits = at(slotLogits)
    dResidual = at(slotDResidual); dNorm = at(slotDNorm)
    dQKV = at(slotDQKV)
    dAttention = at(slotDAttention)
    dGateUp = at(slotDGateUp); dAct = at(slotDAct)
    dScores = at(slotDScores)
    dLoraHidden = at(slotDHidden)
    dDropped = at(slotDDropped)
  }

  /// Bytes held by the arena.
  public var byteCount: Int { (storage.count + (mixture?.storage.count ?? 0)) * MemoryLayout<Float>.stride }

  /// λ · (mean over layers of the load-balancing loss) of the last forward pass (0 without a mixture).
  public var balanceLoss: Double { mixture?.balanceLoss ?? 0 }

  /// Per layer, the fraction of routing slots each expert received in the last forward pass.
  public var routedFractions: [[Double]] { mixture?.routedFractions ?? [] }

  /// Per layer, the mean gate weight on generalists in the last forward pass (empty without a mixture).
  public var generalistShare: [Double] { mixture?.generalistShare ?? [] }

  /// Per layer, each token's gate weight on generalists in the last forward pass.
  public var generalistByRow: [[Float]] { mixture?.generalistByRow ?? [] }

  func slot(_ layer: Int) -> Int { keepsActivations ? layer : 0 }
  /// Residual slot holding block `index`'s input (index = layers is the final output).
  func residualSlot(_ index: Int) -> Int { keepsActivations ? index : index % 2 }
}
