import Randomness

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Draws from the Dirichlet distribution Dir(α₁, …, α_K): p_i = G_i / Σ_j G_j with independent
/// G_i ~ Gamma(α_i, 1) (see `Gamma`). E[p_i] = α_i / α₀ and Var[p_i] = α_i(α₀ − α_i) / (α₀²(α₀ + 1))
/// with α₀ = Σα.
///
/// The normalisation is done on log G_i (log-sum-exp), so tiny concentrations, whose Gamma
/// draws underflow, still give a valid point of the simplex: every p_i ≥ 0 and Σp = 1 up to
/// rounding.
public enum Dirichlet {
  /// The smallest concentration drawn from: below it, log G = log U / α overflows Float64 (and a
  /// subnormal α has no usable reciprocal), so the draw would not be a point of the simplex.
  public static let smallestConcentration = 1e-300

  /// One draw from Dir(concentrations).
  ///
  /// - Throws: `.invalidParameter` for an empty vector or a concentration that is not positive
  ///   and finite.
  public static func sample(concentrations: [Double], using random: inout RandomStream)
    throws(DataError) -> [Double]
  {
    try DataError.require(
      !concentrations.isEmpty, "dirichlet", "concentrations", "[]", expected: "at least one value")
    for (i, alpha) in concentrations.enumerated() {
      try DataError.require(
        alpha >= smallestConcentration && alpha.isFinite, "dirichlet", "concentrations[\(i)]", alpha,
        expected: "a finite number ≥ 1e-300")
    }
    return unchecked(concentrations: concentrations, using: &random)
  }

  /// One draw from the symmetric Dir(α·1_K).
  public static func sample(alpha: Double, count: Int, using random: inout RandomStream)
    throws(DataError) -> [Double]
  {
    try DataError.require(count >= 1, "dirichlet", "count", count, expected: "at least 1")
    try DataError.require(
      alpha >= smallestConcentration && alpha.isFinite, "dirichlet", "alpha", alpha, expected: "a finite number ≥ 1e-300")
    return unchecked(concentrations: [Double](repeating: alpha, count: count), using: &random)
  }

  /// A draw for concentrations already known to be positive and finite.
  static func unchecked(concentrations: [Double], using random: inout RandomStream) -> [Double] {
    var logs = concentrations.map { Gamma.logSample(shape: $0, using: &random) }
    let largest = logs.max() ?? 0
    var total = 0.0
    for i in logs.indices {
      logs[i] = exp(logs[i] - largest)  // the largest term is exactly 1, so total ≥ 1
      total += logs[i]
    }
    return logs.map { $0 / total }
  }
}
