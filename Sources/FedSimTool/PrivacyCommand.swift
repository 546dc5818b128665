import ArgumentParser
import Foundation
import Graphs
import Learning
import Privacy
import Randomness

/// `fedsim privacy`: the SecLDP accountant of Decor (default subcommand `graph`) and the standard
/// DP-SGD mechanism (`gaussian`). Needs no scenario.
struct PrivacyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "privacy",
    abstract: "Privacy accounting: Decor's SecLDP accountant on a graph, and the subsampled Gaussian mechanism.",
    discussion: """
      `fedsim privacy [graph] OPTIONS` (graph is the default subcommand, so its name can be left \
      out) accounts one Decor configuration on a communication graph; `fedsim privacy gaussian` \
      accounts DP-SGD's Poisson-subsampled Gaussian mechanism as dp-accounting's RdpAccountant does. \
      See docs/privacy.md.
      """,
    subcommands: [PrivacyGraphCommand.self, PrivacyGaussianCommand.self],
    defaultSubcommand: PrivacyGraphCommand.self)
}

// MARK: - graph

struct PrivacyGraphCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "graph",
    abstract: "SecLDP/SecRDP guarantee of Decor (private + pairwise-correlated Gaussian noise) on a graph.",
    discussion: """
      Per round, Σ_H = σ_cdp² I + σ_cor² L_H over the honest users H (L_H: Laplacian of the subgraph \
      induced on H) and ρ = 2C² max_i (Σ_H⁻¹)_ii; after T rounds the mechanism is (α, αTρ)-RDP and \
      (ε, δ)-DP with ε = Tρ + 2√(Tρ ln(1/δ)).

      Examples:
        fedsim privacy --graph ring:16 --sigma-cdp 1 --sigma-cor 10 --clip 1 --steps 1000 --delta 1e-5
        fedsim privacy --graph torus:4x4 --worst-curious --sigma-cdp 1 --sigma-cor 10 --steps 1000 --json
        fedsim privacy --graph ring:16 --target-epsilon 10 --sigma-cdp 0.05 --steps 3500
        fedsim privacy --graph complete:16 --sigma-cdp 1 --sigma-cor 10 --steps 1000 --batch-size 16 --examples 1000
      """)

  @Option(help: "Graph: ring:N | complete:N | torus:PxQ | star:N | erdos-renyi:N:P:SEED | edges:FILE.")
  var graph: String
  @Option(help: "Comma-separated curious user ids (default: none, an external eavesdropper only).")
  var curious: String?
  @Flag(name: .customLong("worst-curious"), help: "Worst single curious user: the maximum over c of the accountant with Curious = {c}.")
  var worstCurious = false
  @Option(name: .customLong("sigma-cdp"), help: "σ_cdp: standard deviation of each user's private noise.")
  var sigmaCDP: Double?
  @Option(name: .customLong("sigma-cor"), help: "σ_cor: standard deviation of the correlated noise on each edge.")
  var sigmaCor: Double?
  @Option(help: "C: clipping threshold of a user's update (sensitivity 2C).") var clip: Double = 1
  @Option(help: "T: number of rounds.") var steps: Int
  @Option(help: "δ of the (ε, δ) guarantee, in (0, 1).") var delta: Double = 1e-5
  @Option(
    name: .customLong("sampling-rate"), help: "Example level: Poisson sampling rate q of each example (needs --examples or --batch-size).")
  var samplingRate: Double?
  @Option(name: .customLong("batch-size"), help: "Example level: batch size b (examples clipped to C and averaged, sensitivity 2C/b).")
  var batchSize: Int?
  @Option(help: "Example level: examples M per user (q = b/M, or b = qM).") var examples: Int?
  @Option(
    help:
      "Example level: subsampling bound, poisson (Mironov et al. 2019) or without-replacement (Wang et al. 2019). Default: poisson with --sampling-rate, without-replacement otherwise."
  )
  var subsampling: SubsamplingBound?
  @Option(
    name: .customLong("target-epsilon"), help: "Calibrate for this ε: ρ*, σ at the LDP and CDP levels, and σ_cor for the given --sigma-cdp."
  )
  var targetEpsilon: Double?
  @Option(
    help:
      "BLAS threads for the dense factorisations of large graphs (the last digits of ε can differ between thread counts)."
  )
  var threads: Int = 1
  @Option(
    name: .customLong("progress-after"),
    help: "Announce dense steps estimated to take at least this many seconds, and report the worst-curious scan this often.")
  var progressAfter: Double = 2
  @Flag(
    help:
      "Print JSON: rho, epsilon, alpha_star, argmax, n_honest, ldp_bound, cdp_bound, connectivity_bound (plus example_level / calibration objects when asked for)."
  )
  var json = false

  func validate() throws {
    guard steps >= 1 else { throw ValidationError("--steps must be at least 1, got \(steps)") }
    guard delta > 0 && delta < 1 else { throw ValidationError("--delta must be in (0, 1), got \(delta)") }
    guard clip > 0 && clip.isFinite else { throw ValidationError("--clip must be positive, got \(clip)") }
    guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads)") }
    guard progressAfter >= 0 && progressAfter.isFinite else {
      throw ValidationError("--progress-after must be a number of seconds ≥ 0, got \(progressAfter)")
    }
    if let sigmaCDP, !(sigmaCDP >= 0 && sigmaCDP.isFinite) {
      throw ValidationError("--sigma-cdp must be a finite number ≥ 0, got \(sigmaCDP)")
    }
    if let sigmaCor, !(sigmaCor >= 0 && sigmaCor.isFinite) {
      throw ValidationError("--sigma-cor must be a finite number ≥ 0, got \(sigmaCor)")
    }
    if let targetEpsilon, !(targetEpsilon > 0 && targetEpsilon.isFinite) {
      throw ValidationError("--target-epsilon must be positive, got \(targetEpsilon)")
    }
    if worstCurious && curious != nil { throw ValidationError("--curious and --worst-curious exclude each other") }
    if targetEpsilon == nil && (sigmaCDP == nil || sigmaCor == nil) {
      throw ValidationError("give --sigma-cdp and --sigma-cor (accounting), or --target-epsilon (calibration)")
    }
    if targetEpsilon != nil && sigmaCor != nil && sigmaCDP == nil {
      throw ValidationError("--sigma-cor needs --sigma-cdp")
    }
    _ = try exampleSampling()
  }

  /// (b, q, bound) when example-level accounting was asked for.
  func exampleSampling() throws -> (batch: Double, rate: Double, bound: SubsamplingBound)? {
    if samplingRate == nil && batchSize == nil {
      if examples != nil || subsampling != nil {
        throw ValidationError("--examples and --subsampling need --sampling-rate or --batch-size")
      }
      return nil
    }
    if let samplingRate, !(samplingRate > 0 && samplingRate <= 1) {
      throw ValidationError("--sampling-rate must be in (0, 1], got \(samplingRate)")
    }
    if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
    if let examples, examples < 1 { throw ValidationError("--examples must be at least 1, got \(examples)") }
    let bound = subsampling ?? (samplingRate != nil ? .poisson : .withoutReplacement)
    switch (samplingRate, batchSize, examples) {
    case (let q?, let b?, _): return (Double(b), q, bound)
    case (let q?, nil, let m?): return (q * Double(m), q, bound)
    case (nil, let b?, let m?):
      guard b <= m else { throw ValidationError("--batch-size \(b) exceeds --examples \(m)") }
      return (Double(b), Double(b) / Double(m), bound)
    case (_?, nil, nil): throw ValidationError("--sampling-rate needs --examples M (expected batch qM) or --batch-size")
    default: throw ValidationError("--batch-size needs --examples M (q = b/M) or --sampling-rate")
    }
  }

  func run() throws {
    let (topology, label) = try parseGraphSpec(graph)
    let adversary: CuriousUsers = worstCurious ? .worstSingle : .users(try parseCurious(curious))
    BLAS.threads = threads
    let printer = AccountantProgressPrinter(threshold: progressAfter)
    let accountant = SecLDPAccountant(graph: topology, progress: { printer.handle($0) })

    var report: [(String, String)] = [
      ("graph", "\(label) (\(topology.nodeCount) users, \(topology.edgeCount) edges)"),
      ("curious users", worstCurious ? "worst single" : (adversary.description)),
    ]
    var fields: [(String, String)] = []

    if let sigmaCDP, let sigmaCor {
      let noise = DecorNoise(sigmaCDP: sigmaCDP, sigmaCor: sigmaCor, clip: clip)
      let guarantee = try accountant.guarantee(noise: noise, curious: adversary, steps: steps, delta: delta)
      let step = guarantee.step
      let bounds = step.bounds
      // The paper's conversion stays `epsilon` (for reproduction); the exact one is labelled.
      let exact = step.rho > 0 ? try SecLDP.exactEpsilon(rho: step.rho, steps: steps, delta: delta) : 0
      fields = [
        ("rho", jsonNumber(step.rho)), ("epsilon", jsonNumber(guarantee.epsilon)), ("epsilon_exact", jsonNumber(exact)),
        ("alpha_star", jsonNumber(guarantee.optimalOrder)),
        ("argmax", "[" + step.argmax.map(String.init).joined(separator: ", ") + "]"),
        ("n_honest", "\(step.honestCount)"), ("ldp_bound", jsonNumber(bounds.ldp)), ("cdp_bound", jsonNumber(bounds.cdp)),
        ("connectivity_bound", bounds.connectivity.map(jsonNumber) ?? "null"),
      ]
      if worstCurious { report.append(("worst curious user(s)", list(step.worstCurious))) }
      report += [
        ("σ_cdp, σ_cor, C", "\(sigmaCDP), \(sigmaCor), \(clip)"),
        ("honest users n_H", "\(step.honestCount)"),
        ("per-round ρ", "\(step.rho)"),
        ("RDP after T = \(steps)", "α · \(Double(steps) * step.rho)"),
        ("ε at δ = \(delta)", "\(guarantee.epsilon)"),
        ("ε, exact Gaussian conversion", "\(exact)  (analytic Gaussian, μ = √(2Tρ))"),
        ("optimal order α*", "\(guarantee.optimalOrder)"),
        ("arg-max user(s)", list(step.argmax)),
        ("LDP bound 2C²/σ_cdp²", "\(bounds.ldp)"),
        ("CDP bound 2C²/(n_H σ_cdp²)", "\(bounds.cdp)"),
        (
          "connectivity bound",
          bounds.connectivity.map { "\($0)  (λ₂(L_H) = \(bounds.algebraicConnectivity!))" }
            ?? "— (honest subgraph disconnected)"
        ),
        ("σ-equivalent C√(2/ρ)", "\(try SecLDP.ldpSigma(rho: step.rho, clip: clip))"),
      ]
      if let sampling = try exampleSampling() {
        let example = try step.exampleLevel(
          batchSize: sampling.batch, samplingRate: sampling.rate, steps: steps, delta: delta, bound: sampling.bound)
        fields.append(
          (
            "example_level",
            "{\"bound\": \"\(example.bound)\", \"batch_size\": \(jsonNumber(example.batchSize)), "
              + "\"sampling_rate\": \(jsonNumber(example.samplingRate)), \"rho_batch\": \(jsonNumber(example.rhoPerBatch)), "
              + "\"epsilon\": \(jsonNumber(example.epsilon)), \"order\": \(example.order)}"
          ))
        report += [
          ("example level", "\(example.bound), b = \(example.batchSize), q = \(example.samplingRate)"),
          ("  per-batch ρ_b = ρ/b²", "\(example.rhoPerBatch)"),
          ("  ε at δ = \(delta)", "\(example.epsilon)  (order \(example.order))"),
        ]
      }
    }

    if let targetEpsilon {
      let calibration = try accountant.calibrate(
        epsilon: targetEpsilon, delta: delta, steps: steps, clip: clip, curious: adversary, sigmaCDP: sigmaCDP)
      var object =
        "{\"target_epsilon\": \(jsonNumber(targetEpsilon)), \"target_rho\": \(jsonNumber(calibration.targetRho)), "
        + "\"ldp_sigma\": \(jsonNumber(calibration.ldpSigma)), \"cdp_sigma\": \(jsonNumber(calibration.cdpSigma))"
      report += [
        ("target ε at δ = \(delta), T = \(steps)", "\(targetEpsilon)"),
        ("  target ρ*", "\(calibration.targetRho)"),
        ("  σ at the LDP level", "\(calibration.ldpSigma)  (σ_cor = 0)"),
        ("  σ at the CDP level", "\(calibration.cdpSigma)  (n_H = \(calibration.honestCount))"),
      ]
      if let correlated = calibration.correlated {
        let text: String
        switch correlated.outcome {
        case .notNeeded: text = "0 (σ_cdp = \(correlated.sigmaCDP) alone meets the target; ρ = \(correlated.rho))"
        case .found(let sigma): text = "\(sigma)  (ρ = \(correlated.rho))"
        case .unreachable:
          text = "unreachable: even σ_cor → ∞ leaves ρ = \(correlated.floorRho) ≥ ρ* (the CDP floor); raise σ_cdp"
        }
        report.append(("  σ_cor for σ_cdp = \(correlated.sigmaCDP)", text))
        object += ", \"sigma_cor\": \(correlated.sigmaCor.map(jsonNumber) ?? "null"), \"floor_rho\": \(jsonNumber(correlated.floorRho))"
      }
      object += "}"
      fields.append(("calibration", object))
    }

    if json {
      print("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
    } else {
      printTable(report)
    }
  }
}

// MARK: - gaussian

struct PrivacyGaussianCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gaussian",
    abstract: "(ε, δ) of T steps of the Poisson-subsampled Gaussian mechanism (DP-SGD), by PLD (default) or RDP.",
    discussion: """
      pld: privacy loss distributions of the add and remove cases, discretised pessimistically on a \
      grid of step --interval and composed by FFT (an upper bound, tighter than RDP; q = 1 uses the \
      analytic Gaussian curve of Balle & Wang 2018, exactly). rdp: RDP of the sampled Gaussian \
      mechanism (Mironov, Talwar, Zhang 2019) at dp-accounting's default orders, converted with the \
      bound of Balle et al. 2020 / Canonne, Kamath, Steinke 2020. both: the two side by side.

      Example: fedsim privacy gaussian --noise-multiplier 1 --sampling-rate 0.01 --steps 1000 --delta 1e-6
      """)

  enum Accountant: String, ExpressibleByArgument, CaseIterable { case pld, rdp, both }

  @Option(name: .customLong("noise-multiplier"), help: "σ: noise standard deviation / ℓ₂ sensitivity.") var noiseMultiplier: Double
  @Option(name: .customLong("sampling-rate"), help: "q: Poisson sampling rate, in [0, 1].") var samplingRate: Double
  @Option(help: "T: number of steps.") var steps: Int
  @Option(help: "δ, in (0, 1).") var delta: Double = 1e-5
  @Option(help: "Accountant: pld, rdp or both.") var accountant: Accountant = .pld
  @Option(help: "PLD discretisation interval (grid step of the privacy loss), in (0, 1].") var interval: Double = PLDAccountant
    .defaultInterval
  @Flag(
    help:
      "Print JSON: accountant, epsilon (the tighter one for both), epsilon_pld / epsilon_rdp, order and classic_epsilon (rdp), noise_multiplier, sampling_rate, steps, delta."
  ) var json = false

  func validate() throws {
    guard noiseMultiplier >= 0 && noiseMultiplier.isFinite else {
      throw ValidationError("--noise-multiplier must be a finite number ≥ 0, got \(noiseMultiplier)")
    }
    guard samplingRate >= 0 && samplingRate <= 1 else { throw ValidationError("--sampling-rate must be in [0, 1], got \(samplingRate)") }
    guard steps >= 1 else { throw ValidationError("--steps must be at least 1, got \(steps)") }
    guard delta > 0 && delta < 1 else { throw ValidationError("--delta must be in (0, 1), got \(delta)") }
    guard interval > 0 && interval <= 1 else { throw ValidationError("--interval must be in (0, 1], got \(interval)") }
  }

  func run() throws {
    var fields: [(String, String)] = [("accountant", "\"\(accountant.rawValue)\"")]
    var rows: [(String, String)] = [
      ("mechanism", "Poisson-subsampled Gaussian, \(steps) steps"), ("noise multiplier σ", "\(noiseMultiplier)"),
      ("sampling rate q", "\(samplingRate)"),
    ]
    var pld: Double? = nil
    var rdp: PrivacyLoss? = nil
    if accountant != .rdp {
      pld = try PLDAccountant.epsilon(
        noiseMultiplier: noiseMultiplier, samplingRate: samplingRate, steps: steps, delta: delta, interval: interval)
      rows.append(("ε at δ = \(delta), PLD", "\(pld!)  (interval \(interval))"))
    }
    if accountant != .pld {
      let curve = try PoissonSubsampledGaussian.curve(samplingRate: samplingRate, noiseMultiplier: noiseMultiplier).composed(steps: steps)
      let loss = try curve.epsilon(delta: delta)
      let classic = try curve.classicEpsilon(delta: delta)
      rdp = loss
      rows.append(("ε at δ = \(delta), RDP", "\(loss.epsilon)  (order \(loss.order))"))
      rows.append(("ε, RDP classic conversion", "\(classic.epsilon)  (order \(classic.order))"))
      fields += [("order", jsonNumber(loss.order)), ("classic_epsilon", jsonNumber(classic.epsilon))]
    }
    let epsilon = min(pld ?? .infinity, rdp?.epsilon ?? .infinity)
    fields.insert(("epsilon", jsonNumber(epsilon)), at: 1)
    if accountant == .both { fields += [("epsilon_pld", jsonNumber(pld ?? .nan)), ("epsilon_rdp", jsonNumber(rdp?.epsilon ?? .nan))] }
    if accountant != .rdp { fields.append(("interval", jsonNumber(interval))) }
    fields += [
      ("noise_multiplier", jsonNumber(noiseMultiplier)), ("sampling_rate", jsonNumber(samplingRate)), ("steps", "\(steps)"),
      ("delta", jsonNumber(delta)),
    ]
    if json {
      print("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
    } else {
      printTable(rows)
    }
  }
}

// MARK: - Parsing and printing

/// Parses a --graph spec into a graph and a label; bad specs and edge-list errors are
/// ValidationErrors with the underlying message (file:line:column for edge lists).
func parseGraphSpec(_ spec: String) throws -> (Graph, String) {
  let usage = "expected ring:N, complete:N, torus:PxQ, star:N, erdos-renyi:N:P:SEED or edges:FILE"
  guard let colon = spec.firstIndex(of: ":") else { throw ValidationError("--graph '\(spec)': \(usage)") }
  let kind = String(spec[..<colon])
  let rest = String(spec[spec.index(after: colon)...])
  func integer(_ text: Substring, _ what: String) throws -> Int {
    guard let value = Int(text) else { throw ValidationError("--graph '\(spec)': \(what) '\(text)' is not an integer") }
    return value
  }
  // The accountant works on dense n × n matrices (a few of them): refuse what cannot fit before
  // building anything.
  func fits(_ n: Int) throws -> Int {
    let (square, overflow) = n.multipliedReportingOverflow(by: n)
    let bytes = overflow ? nil : square.multipliedReportingOverflow(by: 24).overflow ? nil : square * 24
    guard let bytes, bytes <= ModelConfig.memoryLimit else {
      throw ValidationError(
        "--graph '\(spec)': the accountant needs dense \(n) × \(n) matrices, about \(bytes.map { String(format: "%.3g GB", Double($0) / 1e9) } ?? "more than 2⁶³ bytes"), more than this machine's \(String(format: "%.3g GB", Double(ModelConfig.memoryLimit) / 1e9))"
      )
    }
    return n
  }
  do {
    switch kind {
    case "ring": return (try Graph.ring(n: fits(integer(rest[...], "N"))), spec)
    case "complete": return (try Graph.complete(n: fits(integer(rest[...], "N"))), spec)
    case "star": return (try Graph.star(n: fits(integer(rest[...], "N"))), spec)
    case "torus":
      let sides = rest.split(separator: "x", omittingEmptySubsequences: false)
      guard sides.count == 2 else { throw ValidationError("--graph '\(spec)': expected torus:PxQ, e.g. torus:4x4") }
      let (rows, columns) = (try integer(sides[0], "P"), try integer(sides[1], "Q"))
      let (n, overflow) = rows.multipliedReportingOverflow(by: columns)
      _ = try fits(overflow ? Int.max : n)
      return (try Graph.torus(rows: rows, columns: columns), spec)
    case "erdos-renyi":
      let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
      guard parts.count == 3 else { throw ValidationError("--graph '\(spec)': expected erdos-renyi:N:P:SEED, e.g. erdos-renyi:64:0.1:1") }
      guard let p = Double(parts[1]) else { throw ValidationError("--graph '\(spec)': P '\(parts[1])' is not a number") }
      guard let seed = UInt64(parts[2]) else {
        throw ValidationError("--graph '\(spec)': SEED '\(parts[2])' is not a non-negative integer")
      }
      var random = RandomStream(seed: seed, purpose: .graph)
      return (try Graph.erdosRenyi(n: fits(integer(parts[0], "N")), p: p, using: &random), spec)
    case "edges":
      guard !rest.isEmpty else { throw ValidationError("--graph '\(spec)': expected edges:FILE") }
      return (try EdgeList.read(path: rest), spec)
    default:
      throw ValidationError("--graph '\(spec)': unknown graph '\(kind)', \(usage)")
    }
  } catch let error as GraphError {
    throw ValidationError("--graph '\(spec)': \(error)")
  } catch let error as EdgeListError {
    throw ValidationError("--graph: \(error)")
  }
}

/// "0,8" → [0, 8]; nil or "" → [].
func parseCurious(_ text: String?) throws -> [Int] {
  guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else { return [] }
  return try text.split(separator: ",", omittingEmptySubsequences: false).map { item in
    let trimmed = item.trimmingCharacters(in: .whitespaces)
    guard let id = Int(trimmed) else {
      throw ValidationError("--curious: '\(trimmed)' is not a user id, expected comma-separated integers such as 0,8")
    }
    return id
  }
}

/// A Double as a JSON number (null when not finite).
private func jsonNumber(_ value: Double) -> String { value.isFinite ? "\(value)" : "null" }

/// Ids, shortened past 24.
private func list(_ ids: [Int]) -> String {
  let shown = ids.prefix(24).map(String.init).joined(separator: ", ")
  return ids.count > 24 ? "\(shown), … (\(ids.count) users)" : shown
}

/// Two aligned columns.
private func printTable(_ rows: [(String, String)]) {
  let width = rows.map(\.0.count).max() ?? 0
  for (key, value) in rows { print(key.padding(toLength: width + 2, withPad: " ", startingAt: 0) + value) }
}

extension SubsamplingBound: ExpressibleByArgument {}
