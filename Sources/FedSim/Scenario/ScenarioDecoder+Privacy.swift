import Yams

extension ScenarioDecoder {
  static let privacyKeys = [
    "level", "clip", "sigma_cdp", "sigma_cor", "target_epsilon", "delta", "curious", "keys", "subsampling", "accountant",
  ]

  static func privacy(_ s: Section, clients: Int) -> PrivacySection {
    let level = PrivacySection.Level(
      rawValue: s.choice("level", among: PrivacySection.Level.allCases.map(\.rawValue), default: "user") ?? "")
    var curious = PrivacySection.Curious.users([])
    if let node = s["curious"] {
      switch node {
      case .scalar(let scalar) where scalar.string == "worst": curious = .worstSingle
      case .scalar(let scalar) where scalar.string == "none": curious = .users([])
      case .sequence(let items):
        var ids: [Int] = []
        for (index, item) in items.enumerated() {
          guard case .scalar(let scalar) = item, let id = Int(scalar.string), (0..<clients).contains(id) else {
            s.reader.report(item, "\(s.child("curious"))[\(index)]", "expected a client id in 0...\(clients - 1), found \(describe(item))")
            continue
          }
          ids.append(id)
        }
        if Set(ids).count == clients { s.reader.report(node, s.child("curious"), "every client is curious: no honest user is left") }
        curious = .users(Array(Set(ids)).sorted())
      default:
        s.reader.report(node, s.child("curious"), "expected none, worst or a list of client ids, found \(describe(node))")
      }
    }
    let target = s.double("target_epsilon", default: nil as Double?, in: 0...1e9, openLower: true, optional: true)
    let sigmaCDP = s.double("sigma_cdp", default: nil as Double?, in: 0...1e12, openLower: true, optional: true)
    let sigmaCor = s.double("sigma_cor", default: nil as Double?, in: 0...1e12, optional: true)
    if target == nil && sigmaCDP == nil {
      s.missing("sigma_cdp", expected: "the private noise level (or target_epsilon to calibrate it)")
    }
    let accountant =
      PrivacySection.Accountant(
        rawValue: s.choice("accountant", among: PrivacySection.Accountant.allCases.map(\.rawValue), default: "rdp") ?? "rdp") ?? .rdp
    if accountant == .pld && level == .example, let node = s["accountant"] {
      s.reader.report(
        node, s.child("accountant"),
        "pld is not available at example level: batches of b distinct examples drawn without replacement have no dominating pair here (Zhu, Dong & Wang 2022 give one for substitution, not for add/remove); use rdp (Wang, Balle & Kasiviswanathan 2019)"
      )
    }
    return PrivacySection(
      level: level ?? .user, clip: s.double("clip", default: 1, in: 0...1e12, openLower: true) ?? 1, sigmaCDP: sigmaCDP, sigmaCor: sigmaCor,
      targetEpsilon: target, delta: s.double("delta", default: 1e-5, in: 0...0.999999999, openLower: true) ?? 1e-5, curious: curious,
      keys: PrivacySection.KeySource(
        rawValue: s.choice("keys", among: PrivacySection.KeySource.allCases.map(\.rawValue), default: "seeded") ?? "")
        ?? .seeded,
      subsampling: subsampling(s), accountant: accountant)
  }

  /// The amplification bound of example-level accounting. Runs sample fixed-size batches of b
  /// distinct examples, which Wang, Balle & Kasiviswanathan (AISTATS 2019, Thm. 9) bound; the
  /// Poisson bound (Mironov et al. 2019) would account for a sampling that is not done.
  static func subsampling(_ s: Section) -> String {
    if let (node, scalar) = s.scalar("subsampling", expected: "without-replacement"), scalar.string == "poisson" {
      s.reader.report(
        node, s.child("subsampling"),
        "poisson is not available in runs: local steps draw fixed-size batches of b distinct examples, which only the without-replacement bound accounts (fedsim privacy --subsampling poisson computes the Poisson bound for planning)"
      )
      return "without-replacement"
    }
    return s.choice("subsampling", among: ["without-replacement"], default: "without-replacement") ?? "without-replacement"
  }
}
