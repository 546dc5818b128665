import StateArchive

/// Federated averaging (McMahan et al. 2017) with the adaptive server optimisers of Reddi et al.,
/// "Adaptive Federated Optimization" (ICLR 2021).
///
/// The server forms the weighted mean x̄ of the contributions (weights = sample counts, or uniform)
/// and the pseudo-gradient Δ = x̄ − x. Then, with server learning rate η:
/// - `none` (FedAvg): x ← x + η·Δ (η = 1 is plain averaging);
/// - `momentum` (FedAvgM): v ← β·v + Δ, x ← x + η·v;
/// - `adam` (FedAdam): m ← β₁m + (1−β₁)Δ, v ← β₂v + (1−β₂)Δ², x ← x + η·m/(√v + τ), with m₀ = 0
///   and v₀ = τ² (the paper's Algorithm 2);
/// - `yogi` (FedYogi): as FedAdam with v ← v − (1−β₂)·Δ²·sign(v − Δ²).
///
/// Option `share` limits what is averaged to some tensors (e.g. `lora_A`); the rest stays personal.
/// Option `mu` > 0 adds FedProx's client-side proximal term (μ/2)‖w − w_global‖² (Li et al.,
/// "Federated Optimization in Heterogeneous Networks", MLSys 2020).
///
/// Sums run in Float64. The batch form sorts the contributions by client id, so its result does
/// not depend on the order in which reports arrived; the streaming form (what `fedsim run` uses)
/// folds replies in arrival order, which the simulator makes deterministic, and agrees with the
/// batch form to Float64 rounding.
public struct FedAvg: Aggregator {
  public static let name = "fedavg"

  public enum ServerOptimizer: String, Sendable, CaseIterable {
    case none, momentum, adam, yogi
  }

  public let uniformWeights: Bool
  public let serverOptimizer: ServerOptimizer
  public let serverLearningRate: Double
  public let beta1: Double
  public let beta2: Double
  public let tau: Double
  public let mu: Double
  public let sharing: TensorFilter
  var firstMoment: [Double] = []
  var secondMoment: [Double] = []

  public init(options: AggregatorOptions) throws(AggregatorError) {
    uniformWeights = try options.choice("weighting", among: ["samples", "uniform"], default: "samples") == "uniform"
    serverOptimizer =
      ServerOptimizer(rawValue: try options.choice("server_optimizer", among: ServerOptimizer.allCases.map(\.rawValue), default: "none"))
      ?? .none
    let defaultRate = serverOptimizer == .adam || serverOptimizer == .yogi ? 1e-2 : 1
    serverLearningRate = try options.double("server_lr", default: defaultRate, in: 1e-9...100)
    beta1 = try options.double("beta1", default: 0.9, in: 0...0.999999)
    beta2 = try options.double("beta2", default: 0.99, in: 0...0.999999)
    tau = try options.double("tau", default: 1e-3, in: 1e-12...10)
    mu = try options.double("mu", default: 0, in: 0...1e6)
    sharing = try TensorFilter(options: options)
  }

  public var communication: Communication { .server }

  public var proximalStrength: Double { mu }

  public func shares(tensor name: String) -> Bool { sharing.shares(name) }

  public func streamingWeight(of contribution: Contribution) -> Double? { uniformWeights ? 1 : contribution.weight }

  /// The batch form: contributions sorted by client id, so the sum does not depend on arrival order.
  public mutating func aggregate(_ contributions: [Contribution], global: inout [Float], context: AggregationContext) {
    let uniform = uniformWeights
    finish(WeightedSum(contributions, dimension: global.count) { uniform ? 1 : $0.weight }, global: &global, context: context)
  }

  public mutating func finish(_ sum: WeightedSum, global: inout [Float], context: AggregationContext) {
    guard sum.totalWeight > 0 else { return }
    let count = global.count
    let eta = serverLearningRate
    if firstMoment.count != count {
      firstMoment = [Double](repeating: 0, count: count)
      // Reddi et al. (2021), Algorithm 2: v₋₁ ≥ τ² (FedAdam and FedYogi alike).
      secondMoment = [Double](repeating: tau * tau, count: count)
    }
    for i in 0..<count {
      let x = Double(global[i])
      let delta = sum.sum[i] / sum.totalWeight - x
      switch serverOptimizer {
      case .none:
        global[i] = Float(x + eta * delta)
      case .momentum:
        firstMoment[i] = beta1 * firstMoment[i] + delta
        global[i] = Float(x + eta * firstMoment[i])
      case .adam, .yogi:
        firstMoment[i] = beta1 * firstMoment[i] + (1 - beta1) * delta
        let squared = delta * delta
        if serverOptimizer == .adam {
          secondMoment[i] = beta2 * secondMoment[i] + (1 - beta2) * squared
        } else {
          let sign: Double = secondMoment[i] - squared > 0 ? 1 : (secondMoment[i] - squared < 0 ? -1 : 0)
          secondMoment[i] -= (1 - beta2) * squared * sign
        }
        global[i] = Float(x + eta * firstMoment[i] / (secondMoment[i].squareRoot() + tau))
      }
    }
  }
}

extension FedAvg {
  /// The server optimiser's moments (empty before the first round and without one).
  public func archive(to writer: inout ArchiveWriter) {
    writer.section("fedavg")
    writer.write(firstMoment)
    writer.write(secondMoment)
  }

  public mutating func restore(from reader: inout ArchiveReader) throws(ArchiveError) {
    try reader.section("fedavg")
    firstMoment = try reader.readDoubles()
    secondMoment = try reader.readDoubles()
  }
}
