import Foundation
import Randomness

/// A distribution of a positive per-client (or per-link) quantity: compute speed, bandwidth,
/// latency, memory.
public enum Distribution: Sendable, Equatable, Hashable, Codable {
  /// The same value everywhere.
  case constant(Double)
  /// exp(N(ln median, sigma²)): heavy-tailed device heterogeneity.
  case logNormal(median: Double, sigma: Double)
  /// Uniform on [low, high].
  case uniform(low: Double, high: Double)
  /// One value per client from a trace; client c takes values[c mod count].
  case values([Double])

  /// A draw for `index` from a stream owned by that index.
  public func sample(index: Int, stream: inout RandomStream) -> Double {
    switch self {
    case .constant(let value): return value
    case .logNormal(let median, let sigma): return median * exp(sigma * stream.nextGaussian())
    case .uniform(let low, let high): return low + (high - low) * stream.nextDouble()
    case .values(let values): return values.isEmpty ? .nan : values[index % values.count]
    }
  }

  /// Checks that every value it can produce is positive and finite.
  public func validate(_ field: String) throws(SimulationError) {
    func check(_ ok: Bool, _ expected: String) throws(SimulationError) {
      if !ok { throw .invalidParameter(field: field, value: "\(self)", expected: expected) }
    }
    switch self {
    case .constant(let value): try check(value > 0 && value.isFinite, "a positive finite number")
    case .logNormal(let median, let sigma):
      try check(median > 0 && median.isFinite && sigma >= 0 && sigma.isFinite, "median > 0 and sigma ≥ 0")
    case .uniform(let low, let high): try check(low > 0 && high >= low && high.isFinite, "0 < low ≤ high")
    case .values(let values):
      try check(!values.isEmpty && values.allSatisfy { $0 > 0 && $0.isFinite }, "a non-empty list of positive numbers")
    }
  }
}

/// Errors raised while configuring or running a simulation.
public enum SimulationError: Error, Equatable, CustomStringConvertible {
  case invalidParameter(field: String, value: String, expected: String)
  case stalled(time: SimulatedTime, reason: String)
  /// The task asked to stop (`shouldStop`), e.g. after a failure it recorded.
  case stopped(time: SimulatedTime)
  /// A distributed run's exchange failed (another rank failed, or its bytes did not decode).
  case cluster(String)

  public var description: String {
    switch self {
    case .invalidParameter(let field, let value, let expected): return "\(field) = \(value), expected \(expected)"
    case .stalled(let time, let reason): return "simulation stalled at t = \(time) s: \(reason)"
    case .stopped(let time): return "simulation stopped at t = \(time) s"
    case .cluster(let reason): return "distributed run: \(reason)"
    }
  }
}
