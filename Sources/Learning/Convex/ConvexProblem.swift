import CBLAS
import Foundation
import Randomness

/// One client's convex objective in Float64: least squares or L2-regularised logistic regression
/// over its examples (rows of a design matrix). Used to reproduce papers' convex experiments,
/// where the optimum x* is known and ‖x − x*‖² is the metric.
public struct ConvexProblem: Sendable {
  public enum Loss: String, Sendable { case squared, logistic }
  /// Whether the objective sums or averages the per-example losses.
  public enum Reduction: String, Sendable { case sum, mean }

  /// (examples, dimension), row-major.
  public let features: [Double]
  /// Regression targets, or labels in {0, 1} for logistic regression.
  public let targets: [Double]
  public let dimension: Int
  public let loss: Loss
  public let reduction: Reduction
  /// λ of the (λ/2)‖x‖² term (added once to the objective, and to every example's gradient).
  public let l2: Double

  public var examples: Int { targets.count }

  public init(features: [Double], targets: [Double], dimension: Int, loss: Loss, reduction: Reduction = .mean, l2: Double = 0) {
    precondition(dimension > 0 && features.count == targets.count * dimension, "features must be examples × dimension")
    self.features = features
    self.targets = targets
    self.dimension = dimension
    self.loss = loss
    self.reduction = reduction
    self.l2 = l2
  }

  // MARK: - Objective

  /// f(x): the reduced per-example losses plus (λ/2)‖x‖².
  public func value(_ x: [Double]) -> Double {
    var total = 0.0
    for k in 0..<examples { total += exampleLoss(x, k) }
    if reduction == .mean { total /= Double(examples) }
    return total + l2 / 2 * x.reduce(0) { $0 + $1 * $1 }
  }

  func margin(_ x: [Double], _ k: Int) -> Double {
    var dot = 0.0
    for j in 0..<dimension { dot += features[k * dimension + j] * x[j] }
    return dot
  }

  func exampleLoss(_ x: [Double], _ k: Int) -> Double {
    let z = margin(x, k)
    switch loss {
    case .squared: return 0.5 * (z - targets[k]) * (z - targets[k])
    case .logistic:
      // log(1 + e^z) − y z, computed stably.
      return (z > 0 ? z + Foundation.log1p(Foundation.exp(-z)) : Foundation.log1p(Foundation.exp(z))) - targets[k] * z
    }
  }

  /// d loss_k / d margin.
  func slope(_ x: [Double], _ k: Int) -> Double {
    let z = margin(x, k)
    switch loss {
    case .squared: return z - targets[k]
    case .logistic: return 1 / (1 + Foundation.exp(-z)) - targets[k]
    }
  }

  /// ∇f(x) over all examples (`examples == nil`) or over a batch, reduced like the objective
  /// (a mean over the batch when the reduction is a mean; the sum scaled to the full set otherwise).
  public func gradient(_ x: [Double], batch: [Int]? = nil) -> [Double] {
    var g = [Double](repeating: 0, count: dimension)
    let rows = batch ?? Array(0..<examples)
    for k in rows {
      let s = slope(x, k)
      for j in 0..<dimension { g[j] += s * features[k * dimension + j] }
    }
    let scale = reduction == .mean ? 1 / Double(rows.count) : Double(examples) / Double(rows.count)
    for j in 0..<dimension { g[j] = g[j] * scale + l2 * x[j] }
    return g
  }

  /// The gradient of example k's loss plus the L2 term.
  public func exampleGradient(_ x: [Double], _ k: Int) -> [Double] {
    let s = slope(x, k)
    return (0..<dimension).map { s * features[k * dimension + $0] + l2 * x[$0] }
  }

  /// Fraction of examples classified correctly (logistic regression), nil for least squares.
  public func accuracy(_ x: [Double]) -> Double? {
    guard loss == .logistic, examples > 0 else { return nil }
    var correct = 0
    for k in 0..<examples where (margin(x, k) > 0) == (targets[k] > 0.5) { correct += 1 }
    return Double(correct) / Double(examples)
  }

  /// FLOPs of one gradient over `batch` examples.
  public func gradientFLOPs(batch: Int) -> Double { Double(4 * batch * dimension + 2 * dimension) }

  // MARK: - Synthetic problems

  /// Decor's synthetic user (Allouah et al. 2024, §6): f_i(x) = ½‖A_i x − b_i‖² with
  /// A_i = ((i+1)/√n) I_d and b_i ~ N(0, ζ/(i+1)² I_d), stored as d examples with sum reduction.
  public static func decorQuadratic(client i: Int, clients n: Int, dimension d: Int, zeta: Double, seed: UInt64) -> ConvexProblem {
    var stream = RandomStream(seed: seed, purpose: .data, client: UInt32(truncatingIfNeeded: i))
    let a = Double(i + 1) / Double(n).squareRoot()
    var features = [Double](repeating: 0, count: d * d)
    for j in 0..<d { features[j * d + j] = a }
    let scale = zeta.squareRoot() / Double(i + 1)
    let targets = (0..<d).map { _ in scale * stream.nextGaussian() }
    return ConvexProblem(features: features, targets: targets, dimension: d, loss: .squared, reduction: .sum)
  }

  /// Linear regression with concept shift: x ~ N(0, I), y = x·(w* + h·u_i) + σ·ε with w* ~ N(0, I)
  /// shared by all clients and u_i ~ N(0, I) the client's own shift.
  public static func linearSynthetic(
    client: Int, examples: Int, dimension d: Int, noise: Double, heterogeneity h: Double, seed: UInt64
  ) -> ConvexProblem {
    var shared = RandomStream(seed: seed, purpose: .data, client: 0xFFFF_FFFF)
    let truth = (0..<d).map { _ in shared.nextGaussian() }
    var stream = RandomStream(seed: seed, purpose: .data, client: UInt32(truncatingIfNeeded: client))
    let weights = truth.map { $0 + h * stream.nextGaussian() }
    var features = [Double](repeating: 0, count: examples * d)
    var targets = [Double](repeating: 0, count: examples)
    features.withUnsafeMutableBufferPointer { x in
      weights.withUnsafeBufferPointer { w in
        for k in 0..<examples {
          // The example's d features, then its noise: the order of one draw at a time.
          let row = x.baseAddress! + k * d
          stream.fillGaussians(row, count: d)
          var dot = 0.0
          for j in 0..<d { dot += row[j] * w[j] }
          targets[k] = dot + noise * stream.nextGaussian()
        }
      }
    }
    return ConvexProblem(features: features, targets: targets, dimension: d, loss: .squared)
  }

  /// Logistic regression with covariate shift: x ~ N(μ_i, I) with μ_i ~ N(0, h² I), labels
  /// y ~ Bernoulli(σ(x·w*)) with w* ~ N(0, I) shared by all clients, plus (λ/2)‖x‖².
  public static func logisticSynthetic(
    client: Int, examples: Int, dimension d: Int, heterogeneity h: Double, l2: Double, seed: UInt64
  ) -> ConvexProblem {
    var shared = RandomStream(seed: seed, purpose: .data, client: 0xFFFF_FFFF)
    let truth = (0..<d).map { _ in shared.nextGaussian() }
    var stream = RandomStream(seed: seed, purpose: .data, client: UInt32(truncatingIfNeeded: client))
    let center = (0..<d).map { _ in h * stream.nextGaussian() }
    var features = [Double](repeating: 0, count: examples * d)
    var targets = [Double](repeating: 0, count: examples)
    for k in 0..<examples {
      var dot = 0.0
      for j in 0..<d {
        features[k * d + j] = center[j] + stream.nextGaussian()
        dot += features[k * d + j] * truth[j]
      }
      targets[k] = stream.nextDouble() < 1 / (1 + Foundation.exp(-dot)) ? 1 : 0
    }
    return ConvexProblem(features: features, targets: targets, dimension: d, loss: .logistic, l2: l2)
  }
}

extension ConvexProblem {
  /// The minimiser of Σ_i f_i: one linear solve for least squares, Newton's method for logistic
  /// regression (converged to ‖∇‖ < 1e-12 · scale). Nil when the problem is singular.
  public static func optimum(of problems: [ConvexProblem]) -> [Double]? {
    optimum(count: problems.count) { problems[$0] }
  }

  /// The minimiser of Σ_i f_i over `count` problems handed over one at a time (each pass asks for
  /// every problem again), so a population need not be held in memory.
  public static func optimum(count: Int, problem: (Int) -> ConvexProblem) -> [Double]? {
    guard count > 0 else { return nil }
    let first = problem(0)
    let d = first.dimension
    var x = [Double](repeating: 0, count: d)
    let iterations = first.loss == .squared ? 1 : 100
    for _ in 0..<iterations {
      var hessian = [Double](repeating: 0, count: d * d)
      var gradient = [Double](repeating: 0, count: d)
      for index in 0..<count {
        let problem = index == 0 ? first : problem(index)
        guard problem.dimension == d else { return nil }
        let g = problem.gradient(x)
        for j in 0..<d { gradient[j] += g[j] }
        let scale = problem.reduction == .mean ? 1 / Double(problem.examples) : 1
        for k in 0..<problem.examples {
          let weight: Double
          switch problem.loss {
          case .squared: weight = scale
          case .logistic:
            let p = 1 / (1 + Foundation.exp(-problem.margin(x, k)))
            weight = scale * p * (1 - p)
          }
          let row = problem.features[(k * d)..<((k + 1) * d)]
          cblas_dsyr(CblasRowMajor, CblasLower, Int32(d), weight, Array(row), 1, &hessian, Int32(d))
        }
        for j in 0..<d { hessian[j * d + j] += problem.l2 }
      }
      // Newton step: solve H·s = g by Cholesky (symmetric: row- and column-major agree).
      var uplo = Int8(UInt8(ascii: "U")), order = Int32(d), lda = Int32(d), info: Int32 = 0
      dpotrf_(&uplo, &order, &hessian, &lda, &info)
      guard info == 0 else { return nil }
      var step = gradient
      cblas_dtrsv(CblasColMajor, CblasUpper, CblasTrans, CblasNonUnit, Int32(d), hessian, Int32(d), &step, 1)
      cblas_dtrsv(CblasColMajor, CblasUpper, CblasNoTrans, CblasNonUnit, Int32(d), hessian, Int32(d), &step, 1)
      var size = 0.0
      for j in 0..<d {
        x[j] -= step[j]
        size = max(size, abs(step[j]))
      }
      if size < 1e-13 * max(1, x.map(abs).max() ?? 1) { break }
    }
    return x
  }
}
