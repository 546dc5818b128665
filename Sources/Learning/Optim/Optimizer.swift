import RealModule
import StateArchive

/// Updates a flat parameter set from its gradients. Optimisers own their state (moments), sized
/// for one layout, so a federated client keeps its optimiser next to its adapter.
public protocol Optimizer: Sendable {
  /// Applies one update with the given learning rate.
  mutating func step(parameters: ParameterSet, gradients: ParameterSet, learningRate: Float)
  /// Forgets accumulated state (moments, step count).
  mutating func reset()
  /// An independent copy of the optimiser and its state (moments are deep-copied), e.g. to undo
  /// a round whose result was rejected.
  func copy() -> Self
  /// Writes the state (step count, moments) for a checkpoint.
  func archive(to writer: inout ArchiveWriter)
  /// Reads what `archive(to:)` wrote into an optimiser built with the same configuration and
  /// layout (its storage is replaced, so copies taken before are unaffected).
  mutating func restore(from reader: inout ArchiveReader) throws(ArchiveError)
}

/// Which optimiser to build, with its hyper-parameters.
public enum OptimizerConfig: Codable, Sendable, Equatable, Hashable {
  /// AdamW (Loshchilov & Hutter 2019), PyTorch's defaults.
  case adamW(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01)
  /// SGD with (optionally Nesterov) momentum and L2 weight decay, as `torch.optim.SGD`.
  case sgd(momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0)

  /// An optimiser over the tensors of `layout` that `updates` selects (all by default): the
  /// others are neither read nor written, so two optimisers can own disjoint parts of one
  /// parameter set (CoMiGS's experts and routers).
  public func make(for layout: ParameterLayout, updates: (String) -> Bool = { _ in true }) -> any Optimizer {
    let selected = layout.filtered(updates)
    switch self {
    case .adamW(let beta1, let beta2, let epsilon, let weightDecay):
      return AdamW(layout: layout, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, only: selected)
    case .sgd(let momentum, let nesterov, let weightDecay):
      return SGD(layout: layout, momentum: momentum, nesterov: nesterov, weightDecay: weightDecay, only: selected)
    }
  }
}

/// Ranges of a layout that receive weight decay: every tensor of rank ≥ 2 (matrices and
/// embeddings), not norm gains — the convention of Hugging Face's Trainer and nanoGPT.
func decayedRanges(_ entries: [ParameterEntry]) -> [Range<Int>] {
  entries.filter { $0.shape.count >= 2 }.map { $0.offset..<($0.offset + $0.count) }
}

extension ParameterLayout {
  /// The entries whose names satisfy `include`.
  func filtered(_ include: (String) -> Bool) -> [ParameterEntry] { entries.filter { include($0.name) } }
}

/// AdamW with decoupled weight decay: p ← p·(1 − lr·λ) − lr·m̂/(√v̂ + ε).
public struct AdamW: Optimizer {
  public let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
  public internal(set) var stepCount = 0
  var firstMoment: FloatStorage
  var secondMoment: FloatStorage
  let decayed: [Range<Int>]
  let everything: [Range<Int>]

  /// An AdamW over `layout`, updating only the entries in `only` (default: all of them).
  public init(
    layout: ParameterLayout, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01,
    only: [ParameterEntry]? = nil
  ) {
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    firstMoment = FloatStorage(count: layout.totalCount)
    secondMoment = FloatStorage(count: layout.totalCount)
    let entries = only ?? layout.entries
    decayed = decayedRanges(entries)
    everything = entries.map { $0.offset..<($0.offset + $0.count) }
  }

  public mutating func step(parameters: ParameterSet, gradients: ParameterSet, learningRate: Float) {
    stepCount += 1
    let p = parameters.storage.pointer, g = gradients.storage.pointer
    let m = firstMoment.pointer, v = secondMoment.pointer
    if weightDecay != 0 {
      let shrink = 1 - learningRate * weightDecay
      for range in decayed { for i in range { p[i] *= shrink } }
    }
    // Bias corrections hoisted out of the loop: p −= (lr / bc1) · m / (√v / √bc2 + ε).
    let bc1 = 1 - Float(Double.pow(Double(beta1), stepCount))
    let bc2 = 1 - Float(Double.pow(Double(beta2), stepCount))
    let stepSize = learningRate / bc1
    let inverseSqrtBC2 = 1 / bc2.squareRoot()
    let b1 = beta1, b2 = beta2, oneMinusB1 = 1 - beta1, oneMinusB2 = 1 - beta2, eps = epsilon
    for range in everything {
      for i in range {
        let gi = g[i]
        let mi = b1 * m[i] + oneMinusB1 * gi
        let vi = b2 * v[i] + oneMinusB2 * gi * gi
        m[i] = mi
        v[i] = vi
        p[i] -= stepSize * mi / (vi.squareRoot() * inverseSqrtBC2 + eps)
      }
    }
  }

  public mutating func reset() {
    stepCount = 0
    firstMoment.zero()
    secondMoment.zero()
  }

  public func copy() -> AdamW {
    var copy = self
    copy.firstMoment = firstMoment.copy()
    copy.secondMoment = secondMoment.copy()
    return copy
  }
}

/// SGD as `torch.optim.SGD`: g ← g + λp; b ← μb + g (b = g on the first step);
/// p ← p − lr·(g + μb if Nesterov else b).
public struct SGD: Optimizer {
  public let momentum: Float, nesterov: Bool, weightDecay: Float
  var buffer: FloatStorage?
  var started = false
  let decayed: [Range<Int>]
  let everything: [Range<Int>]

  /// An SGD over `layout`, updating only the entries in `only` (default: all of them).
  public init(layout: ParameterLayout, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0, only: [ParameterEntry]? = nil) {
    self.momentum = momentum
    self.nesterov = nesterov
    self.weightDecay = weightDecay
    buffer = momentum != 0 ? FloatStorage(count: layout.totalCount) : nil
    let entries = only ?? layout.entries
    decayed = decayedRanges(entries)
    everything = entries.map { $0.offset..<($0.offset + $0.count) }
  }

  public mutating func step(parameters: ParameterSet, gradients: ParameterSet, learningRate: Float) {
    let p = parameters.storage.pointer, g = gradients.storage.pointer
    if weightDecay != 0 {
      for range in decayed { for i in range { g[i] += weightDecay * p[i] } }
    }
    guard let buffer else {
      for range in everything { for i in range { p[i] -= learningRate * g[i] } }
      return
    }
    let b = buffer.pointer, mu = momentum
    for range in everything {
      for i in range {
        let bi = started ? mu * b[i] + g[i] : g[i]
        b[i] = bi
        p[i] -= learningRate * (nesterov ? g[i] + mu * bi : bi)
      }
    }
    started = true
  }

  public mutating func reset() {
    buffer?.zero()
    started = false
  }

  public func copy() -> SGD {
    var copy = self
    copy.buffer = buffer?.copy()
    return copy
  }
}

/// Scales gradients so their global L2 norm is at most `maxNorm` (as
/// `torch.nn.utils.clip_grad_norm_`) and returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ gradients: ParameterSet, maxNorm: Float) -> Double {
  let g = gradients.storage.pointer
  var sumSquares: Double = 0
  for entry in gradients.layout.entries {
    var partial: Float = 0
    for i in entry.offset..<(entry.offset + entry.count) { partial = Relaxed.multiplyAdd(g[i], g[i], partial) }
    sumSquares += Double(partial)
  }
  let norm = sumSquares.squareRoot()
  let coefficient = Double(maxNorm) / (norm + 1e-6)
  if coefficient < 1 {
    let scale = Float(coefficient)
    for i in 0..<gradients.storage.count { g[i] *= scale }
  }
  return norm
}
