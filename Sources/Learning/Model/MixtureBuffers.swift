/// The buffers of a mixture-of-experts MLP inside a workspace: per layer slot the router's
/// probabilities and gates, every expert's packed gate|up, activation and output, and its LoRA
/// hidden states; plus backward scratch. One allocation, like the workspace itself.
final class MixtureBuffers: @unchecked Sendable {
  // @unchecked Sendable: owned by one workspace, used by one worker at a time.
  let mixture: MixtureConfig
  let experts: Int
  /// Expert LoRA targets per expert (gate, up and/or down).
  let targets: [Projection]
  let storage: FloatStorage
  /// slots × (rows, E): softmax of the router logits over all experts.
  let probabilities: UnsafeMutablePointer<Float>
  /// slots × (rows, E): top-k gate weights (0 for experts outside the top k).
  let gates: UnsafeMutablePointer<Float>
  /// slots × E × (rows, 2f), slots × E × (rows, f), slots × E × (rows, d).
  let gateUp: UnsafeMutablePointer<Float>, act: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>
  /// slots × E × targets × (rows, rank).
  let hidden: UnsafeMutablePointer<Float>
  /// slots × E × targets × (rows, max(d, f)) when the adapter has dropout.
  let droppedInput: UnsafeMutablePointer<Float>?, mask: UnsafeMutablePointer<Float>?
  // Backward scratch.
  let dOut: UnsafeMutablePointer<Float>, dGateUpSum: UnsafeMutablePointer<Float>, dLogits: UnsafeMutablePointer<Float>
  /// λ · (mean over layers of the load-balancing loss) of the last forward pass.
  var balanceLoss = 0.0
  /// Per layer of the last forward pass: the fraction f_e of routing slots given to each expert.
  var routedFractions: [[Double]]
  /// Per layer of the last forward pass: the mean over tokens of the gate weight on generalists.
  var generalistShare: [Double]
  /// Per layer of the last forward pass: each token's gate weight on generalists.
  var generalistByRow: [[Float]]

  let rows: Int, d: Int, f: Int, rank: Int, inputWidth: Int

  init(mixture: MixtureConfig, targets: [Projection], config: ModelConfig, rank: Int, dropout: Bool, rows: Int, slots: Int, backward: Bool)
  {
    self.mixture = mixture
    experts = mixture.experts
    self.targets = targets
    self.rows = rows
    d = config.dim
    f = config.ffnDim
    self.rank = rank
    inputWidth = max(config.dim, config.ffnDim)
    let e = mixture.experts, t = targets.count
    let sizes = [
      slots * rows * e, slots * rows * e, slots * e * rows * 2 * f, slots * e * rows * f, slots * e * rows * d,
      slots * e * t * rows * rank, dropout ? slots * e * t * rows * inputWidth : 0, dropout ? slots * e * t * rows * inputWidth : 0,
      backward ? rows * d : 0, backward ? rows * 2 * f : 0, backward ? rows * e : 0,
    ]
    storage = FloatStorage(count: sizes.reduce(0, +))
    var offset = 0
    var pointers: [UnsafeMutablePointer<Float>] = []
    for size in sizes {
      pointers.append(storage.pointer + offset)
      offset += size
    }
    probabilities = pointers[0]
    gates = pointers[1]
    gateUp = pointers[2]
    act = pointers[3]
    out = pointers[4]
    hidden = pointers[5]
    droppedInput = dropout ? pointers[6] : nil
    mask = dropout ? pointers[7] : nil
    dOut = pointers[8]
    dGateUpSum = pointers[9]
    dLogits = pointers[10]
    routedFractions = Array(repeating: Array(repeating: 0, count: e), count: config.layers)
    generalistShare = Array(repeating: 0, count: config.layers)
    generalistByRow = Array(repeating: Array(repeating: 0, count: rows), count: config.layers)
  }

  func probabilities(_ slot: Int) -> UnsafeMutablePointer<Float> { probabilities + slot * rows * experts }
  func gates(_ slot: Int) -> UnsafeMutablePointer<Float> { gates + slot * rows * experts }
  func gateUp(_ slot: Int, _ expert: Int) -> UnsafeMutablePointer<Float> { gateUp + (slot * experts + expert) * rows * 2 * f }
  func act(_ slot: Int, _ expert: Int) -> UnsafeMutablePointer<Float> { act + (slot * experts + expert) * rows * f }
  func out(_ slot: Int, _ expert: Int) -> UnsafeMutablePointer<Float> { out + (slot * experts + expert) * rows * d }

  /// Index of an expert's LoRA slot for `projection`.
  func loraSlot(_ slot: Int, _ expert: Int, _ projection: Projection) -> Int? {
    targets.firstIndex(of: projection).map { (slot * experts + expert) * targets.count + $0 }
  }
}
