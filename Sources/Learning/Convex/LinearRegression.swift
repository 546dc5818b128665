import CBLAS
import Randomness

/// Least squares f(w) = ½·mean_k (x_k·w − y_k)² on one client's data, in Float64 (the convex
/// tasks reproduce papers' numbers, where Float32 rounding would blur small differences).
public struct LinearRegressionData: Sendable {
  /// Design matrix, (samples, features) row-major.
  public let features: [Double]
  public let targets: [Double]
  public let samples: Int
  public let dimension: Int

  public init(features: [Double], targets: [Double], dimension: Int) {
    precondition(dimension > 0 && features.count == targets.count * dimension, "features must be samples × dimension")
    self.features = features
    self.targets = targets
    self.samples = targets.count
    self.dimension = dimension
  }

  /// Synthetic data: x ~ N(0, I), y = x·w* + N(0, noise²), drawn from the client's own stream.
  public static func synthetic(samples: Int, dimension: Int, trueWeights: [Double], noise: Double, seed: UInt64, client: Int)
    -> LinearRegressionData
  {
    var stream = RandomStream(seed: seed, purpose: .data, client: UInt32(truncatingIfNeeded: client))
    var x = [Double](repeating: 0, count: samples * dimension)
    var y = [Double](repeating: 0, count: samples)
    for k in 0..<samples {
      var dot = 0.0
      for j in 0..<dimension {
        let value = stream.nextGaussian()
        x[k * dimension + j] = value
        dot += value * trueWeights[j]
      }
      y[k] = dot + noise * stream.nextGaussian()
    }
    return LinearRegressionData(features: x, targets: y, dimension: dimension)
  }

  /// ½·mean residual².
  public func loss(_ w: [Double]) -> Double {
    var residual = targets
    residuals(w, into: &residual)
    return residual.reduce(0) { $0 + $1 * $1 } / (2 * Double(samples))
  }

  /// residual ← X·w − y.
  func residuals(_ w: [Double], into residual: inout [Double]) {
    residual = targets
    cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(samples), Int32(dimension), 1, features, Int32(dimension), w, 1, -1, &residual, 1)
  }

  /// ∇f(w) = Xᵀ(X·w − y)/samples.
  public func gradient(_ w: [Double], residualScratch residual: inout [Double], into gradient: inout [Double]) {
    residuals(w, into: &residual)
    cblas_dgemv(
      CblasRowMajor, CblasTrans, Int32(samples), Int32(dimension), 1 / Double(samples), features, Int32(dimension),
      residual, 1, 0, &gradient, 1)
  }

  /// `steps` full-batch gradient steps from `w`; returns the final loss.
  @discardableResult
  public func gradientDescent(_ w: inout [Double], steps: Int, learningRate: Double) -> Double {
    var residual = [Double](repeating: 0, count: samples)
    var g = [Double](repeating: 0, count: dimension)
    for _ in 0..<steps {
      gradient(w, residualScratch: &residual, into: &g)
      cblas_daxpy(Int32(dimension), -learningRate, g, 1, &w, 1)
    }
    return loss(w)
  }

  /// FLOPs of one gradient step (two matrix-vector products and an axpy).
  public var gradientStepFLOPs: Double { Double(4 * samples * dimension + 2 * dimension) }
}
