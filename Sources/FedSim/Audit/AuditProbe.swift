import Foundation

/// What one audit trial changes in a run (a gradient canary in the target client) and what its
/// adversary computes from the messages it observes (one number per trial, the test statistic).
///
/// The canary is a Dirac gradient: along one coordinate e, the target's clipped contribution is
/// +s_t·C·e when the canary is in (`world` +1) and −s_t·C·e when it is replaced (`world` −1),
/// s_t = ±1 alternating by round — the two neighbouring inputs are 2C apart, the sensitivity the
/// accountant assumes. At user level the contribution is the target's whole clipped update; at
/// example level it is one example's clipped gradient (example 0), the target's other examples
/// having no component along e.
///
/// The adversary subtracts from each observed release what it knows (the clipped updates of the
/// other honest clients, which it can compute from their data and the messages, and the
/// correlated noise on edges to curious users), keeps coordinate e, and combines clients and
/// rounds linearly: S = Σ_t s_t Σ_i w_i r_i^t, one score per weighting w — w ∝ Σ_H⁻¹ e_target
/// (the likelihood-ratio direction for the noise the accountant claims) and the target alone (which
/// wins when correlated noise does not behave as claimed). With the canary in, S is larger.
final class AuditProbe: @unchecked Sendable {
  // @unchecked Sendable: the mutable sums are only touched under `lock` (clients train in parallel).
  let target: Int
  /// The coordinate e (in the packed shared values).
  let coordinate: Int
  /// +1: the canary is in; −1: it is replaced by its opposite.
  let world: Double
  let clip: Double
  /// The weightings: w_i for every client whose residual a score uses (w_target = 1).
  let weightings: [[Int: Double]]
  /// Curious users: the adversary knows the correlated noise on their edges.
  let curious: Set<Int>
  /// Example level: a further score, the log-likelihood ratio of the subsampled mixture.
  let mixture: SubsampledMixture?

  private let lock = NSLock()
  /// Per weighting, per round: Σ_i w_i r_i.
  private var perRound: [[Int: Double]]
  private var targetRounds: Set<Int> = []
  // Central noise: the released aggregate minus the other contributions.
  private var targetStart: [Int: (value: Double, eta: Double)] = [:]
  private var othersSum: [Int: Double] = [:]

  init(
    target: Int, coordinate: Int, world: Double, clip: Double, weightings: [[Int: Double]], curious: Set<Int>,
    mixture: SubsampledMixture? = nil
  ) {
    self.mixture = mixture
    self.target = target
    self.coordinate = coordinate
    self.world = world
    self.clip = clip
    self.weightings = weightings
    self.curious = curious
    perRound = weightings.map { _ in [:] }
  }

  /// Whether any score uses `client`'s releases.
  func watches(_ client: Int) -> Bool { weightings.contains { $0[client] != nil } }

  /// s_t: the canary's sign in `round`.
  func sign(round: Int) -> Double { round % 2 == 0 ? 1 : -1 }

  /// The canary's value along e in `round` (this trial's world).
  func canary(round: Int) -> Double { world * sign(round: round) * clip }

  /// A client's residual along e in `round`: its release minus what the adversary knows.
  func observe(client: Int, round: Int, residual: Double) {
    lock.lock()
    defer { lock.unlock() }
    for (index, weights) in weightings.enumerated() {
      if let weight = weights[client] { perRound[index][round, default: 0] += weight * residual }
    }
    if client == target { targetRounds.insert(round) }
  }

  /// Central noise, client side: the target's start value along e and its step size.
  func noteTargetRelease(round: Int, start: Double, eta: Double) {
    lock.lock()
    defer { lock.unlock() }
    targetStart[round] = (start, eta)
  }

  /// Central noise, server side: a contribution accepted into `round`'s aggregate.
  func noteContribution(round: Int, client: Int, value: Double) {
    guard client != target else { return }
    lock.lock()
    defer { lock.unlock() }
    othersSum[round, default: 0] += value
  }

  /// Central noise: the released aggregate along e, an average of `count` contributions. The
  /// target's residual is its start minus what the aggregate says it sent, over its step size.
  func observeAggregate(round: Int, value: Double, count: Int) {
    lock.lock()
    let start = targetStart.removeValue(forKey: round)
    let others = othersSum.removeValue(forKey: round) ?? 0
    lock.unlock()
    guard let start, start.eta > 0 else { return }
    let targetMessage = Double(count) * value - others
    observe(client: target, round: round, residual: (start.value - targetMessage) / start.eta)
  }

  /// S = Σ_t s_t Σ_i w_i r_i^t per weighting, over the rounds the target released in; nil when
  /// it never did.
  var scores: [Double]? {
    lock.lock()
    defer { lock.unlock() }
    guard !targetRounds.isEmpty else { return nil }
    let rounds = targetRounds.sorted()
    var scores = perRound.map { sums in rounds.reduce(0) { $0 + sign(round: $1) * (sums[$1] ?? 0) } }
    if let mixture, let sums = perRound.first {
      scores.append(rounds.reduce(0) { $0 + mixture.logLikelihoodRatio(sign(round: $1) * (sums[$1] ?? 0)) })
    }
    return scores
  }

  /// Rounds in which the target released.
  var releases: Int {
    lock.lock()
    defer { lock.unlock() }
    return targetRounds.count
  }
}

/// Example level with subsampling: a round's residual along the canary's coordinate is the sum
/// over its `steps` local steps of the noisy averaged gradient, and each step draws the canary
/// with probability q, adding ±`shift` (its clipped gradient over the batch size). Given the sign,
/// the residual is a binomial mixture of Gaussians N(k·shift, steps·σ²); the log-likelihood ratio
/// of "canary in" against "replaced by its opposite" is the Neyman–Pearson score of one round.
struct SubsampledMixture: Sendable {
  let samplingRate: Double
  let shift: Double
  let sigma: Double
  let steps: Int

  func logLikelihoodRatio(_ x: Double) -> Double {
    let variance = Double(steps) * sigma * sigma
    var terms: (with: [Double], without: [Double]) = ([], [])
    for k in 0...steps {
      let logWeight =
        lgamma(Double(steps + 1)) - lgamma(Double(k + 1)) - lgamma(Double(steps - k + 1)) + Double(k) * log(samplingRate)
        + Double(steps - k) * log1p(-samplingRate)
      let mean = Double(k) * shift
      terms.with.append(logWeight + (mean * x - mean * mean / 2) / variance)
      terms.without.append(logWeight + (-mean * x - mean * mean / 2) / variance)
    }
    return Self.logSumExp(terms.with) - Self.logSumExp(terms.without)
  }

  static func logSumExp(_ values: [Double]) -> Double {
    let finite = values.filter(\.isFinite)
    guard let top = finite.max() else { return -.infinity }
    return top + log(finite.reduce(0) { $0 + exp($1 - top) })
  }
}
