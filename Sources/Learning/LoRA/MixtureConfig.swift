/// A mixture of LoRA experts on every MLP (CoMiGS: Fan, Messmer, Doikov, Jaggi, "On-Device
/// Collaborative Language Modeling via a Mixture of Generalists and Specialists", ICML 2025).
///
/// Each of the E experts of a layer is the frozen base SwiGLU MLP plus its own LoRA on the MLP
/// projections among the adapter's targets; the first `generalists` experts are shared across
/// clients, the others (specialists) stay on the device. A per-layer router Linear(d → E, no bias)
/// on the normalised hidden state the experts see gates them: softmax over the top-k logits
/// (k = `topK`; dense soft routing when k = E), output Σ_e w_e·Expert_e(h).
public struct MixtureConfig: Codable, Sendable, Equatable, Hashable {
  /// E: experts per layer.
  public var experts: Int
  /// G: the first G experts are generalists.
  public var generalists: Int
  /// k of the top-k gate.
  public var topK: Int
  /// imp: the generalists' share in the importance factors of the load-balancing loss.
  public var importance: Double
  /// λ: weight of the load-balancing loss (averaged over layers) in the training loss.
  public var balanceWeight: Double

  public init(experts: Int = 2, generalists: Int = 1, topK: Int? = nil, importance: Double = 0.5, balanceWeight: Double = 0.01) {
    self.experts = experts
    self.generalists = generalists
    self.topK = topK ?? min(2, experts)
    self.importance = importance
    self.balanceWeight = balanceWeight
  }

  /// The importance factors c_e of the load-balancing loss: G/(imp·E) for generalists,
  /// (E−G)/((1−imp)·E) for specialists (the reference's c_0 = 1/(imp·E) and
  /// c_{e≥1} = (E−1)/((1−imp)·E) for one generalist). E = 4, G = 1, imp = 0.5 → (0.5, 1.5, 1.5, 1.5).
  public var importanceFactors: [Double] { importanceFactors(active: experts) }

  /// The factors when only the first `active` experts exist (a client with fewer specialists).
  public func importanceFactors(active: Int) -> [Double] {
    let e = Double(active), g = Double(min(generalists, active))
    return (0..<active).map { $0 < generalists ? g / (importance * e) : (e - g) / ((1 - importance) * e) }
  }

  public func validate() throws(ModelError) {
    if experts < 1 || experts > 64 { throw .invalidConfig(field: "experts", value: "\(experts)", expected: "1…64") }
    if generalists < 0 || generalists > experts {
      throw .invalidConfig(field: "generalists", value: "\(generalists)", expected: "0…\(experts) (the experts)")
    }
    if topK < 1 || topK > experts { throw .invalidConfig(field: "top_k", value: "\(topK)", expected: "1…\(experts)") }
    if !(importance > 0 && importance < 1) {
      throw .invalidConfig(field: "importance", value: "\(importance)", expected: "a number in (0, 1)")
    }
    if !(balanceWeight >= 0 && balanceWeight.isFinite) {
      throw .invalidConfig(field: "balance_weight", value: "\(balanceWeight)", expected: "a finite number ≥ 0")
    }
  }
}

/// Tensor names of a mixture adapter (safetensors). Generalists and specialists are named apart,
/// so what is shared can be told from a name alone:
/// `base_model.model.model.layers.L.mlp.generalists.G.{gate,up,down}_proj.lora_{A,B}.weight` for
/// experts 0…G−1, `….mlp.specialists.S.…` (S = e − G) for the others, and the router at
/// `base_model.model.model.layers.L.mlp.router.weight` (E × d).
public enum MixtureNames {
  /// The module path of expert `expert` of `layer`.
  public static func expert(_ layer: Int, _ expert: Int, _ mixture: MixtureConfig) -> String {
    expert < mixture.generalists
      ? "base_model.model.model.layers.\(layer).mlp.generalists.\(expert)"
      : "base_model.model.model.layers.\(layer).mlp.specialists.\(expert - mixture.generalists)"
  }

  public static func a(_ layer: Int, expert: Int, _ projection: Projection, _ mixture: MixtureConfig) -> String {
    "\(self.expert(layer, expert, mixture)).\(projection.rawValue).lora_A.weight"
  }

  public static func b(_ layer: Int, expert: Int, _ projection: Projection, _ mixture: MixtureConfig) -> String {
    "\(self.expert(layer, expert, mixture)).\(projection.rawValue).lora_B.weight"
  }

  public static func router(_ layer: Int) -> String { "base_model.model.model.layers.\(layer).mlp.router.weight" }

  /// Whether a tensor belongs to a generalist expert (shared in CoMiGS).
  public static func isGeneralist(_ name: String) -> Bool { name.contains(".mlp.generalists.") }
  /// Whether a tensor belongs to a specialist expert (never leaves its client in CoMiGS).
  public static func isSpecialist(_ name: String) -> Bool { name.contains(".mlp.specialists.") }
  public static func isRouter(_ name: String) -> Bool { name.hasSuffix(".mlp.router.weight") }
}

extension Projection {
  /// gate, up and down.
  public var isMLP: Bool { self == .gate || self == .up || self == .down }
}
