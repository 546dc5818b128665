/// The spectrum of a symmetric mixing matrix W and the quantities that govern gossip speed.
///
/// With eigenvalues ordered λ₁ ≥ λ₂ ≥ … ≥ λₙ (λ₁ = 1 for a stochastic W), the second-largest
/// eigenvalue modulus is SLEM = max(|λ₂|, |λₙ|) and the spectral gap is 1 − SLEM: gossip with W
/// contracts the disagreement ‖x − x̄𝟙‖ by a factor SLEM per step. A connected graph with any of
/// the symmetric rules of `MixingRule` has SLEM < 1.
public struct MixingSpectrum: Hashable, Sendable {
  /// All eigenvalues, ascending.
  public let eigenvalues: [Double]

  /// max(|λ₂|, |λₙ|); 0 for a single node.
  public var secondLargestModulus: Double {
    guard eigenvalues.count >= 2 else { return 0 }
    return max(abs(eigenvalues[eigenvalues.count - 2]), abs(eigenvalues[0]))
  }

  /// 1 − max(|λ₂|, |λₙ|).
  public var spectralGap: Double { 1 - secondLargestModulus }
}

extension DenseMatrix {
  /// The spectrum of this symmetric mixing matrix (see `MixingSpectrum`).
  ///
  /// - Throws: `MatrixError.notSymmetric` for a non-symmetric W (e.g. the uniform rule on a
  ///   non-regular graph), or a LAPACK failure.
  public func mixingSpectrum() throws(MatrixError) -> MixingSpectrum {
    MixingSpectrum(eigenvalues: try symmetricEigenvalues())
  }
}

extension MixingWeights {
  /// The spectrum of these weights, through the dense matrix (O(n³)).
  public func spectrum() throws(MatrixError) -> MixingSpectrum { try dense.mixingSpectrum() }

  /// 1 − max(|λ₂(W)|, |λₙ(W)|).
  public func spectralGap() throws(MatrixError) -> Double { try spectrum().spectralGap }

  /// max(|λ₂(W)|, |λₙ(W)|).
  public func secondLargestEigenvalueModulus() throws(MatrixError) -> Double {
    try spectrum().secondLargestModulus
  }
}

extension Graph {
  /// The Laplacian eigenvalues 0 = μ₀ ≤ μ₁ ≤ … ≤ μₙ₋₁, ascending.
  public func laplacianEigenvalues() throws(MatrixError) -> [Double] {
    try laplacianMatrix().symmetricEigenvalues()
  }

  /// The algebraic connectivity λ₂(L) (Fiedler, 1973): the second-smallest Laplacian eigenvalue,
  /// positive exactly when the graph is connected; 0 for a single node.
  public func algebraicConnectivity() throws(MatrixError) -> Double {
    let values = try laplacianEigenvalues()
    return values.count >= 2 ? values[1] : 0
  }

  /// The spectrum of the mixing matrix of `rule` on this graph.
  public func mixingSpectrum(_ rule: MixingRule) throws(MatrixError) -> MixingSpectrum {
    try MixingWeights(graph: self, rule: rule).spectrum()
  }
}
