/// OpenBLAS kernel families, ranked by the vector extensions their single-precision GEMM uses.
public enum KernelLevel: Int, Sendable, Comparable, Codable {
  /// SSE kernels (Prescott, Core2, Nehalem, …): what OpenBLAS falls back to on a CPU it does not know.
  case generic = 0
  case avx = 1
  case avx2 = 2
  case avx512 = 3

  public static func < (a: KernelLevel, b: KernelLevel) -> Bool { a.rawValue < b.rawValue }

  /// The level of a kernel as `openblas_get_corename()` names it (case-insensitive).
  public init(kernel: String) {
    switch kernel.lowercased() {
    case "skylakex", "cooperlake", "sapphirerapids": self = .avx512
    case "haswell", "zen": self = .avx2
    case "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator": self = .avx
    default: self = .generic
    }
  }

  /// The kernels to try for a CPU, best first: each needs only extensions the CPU has.
  public static func candidates(for features: CPUFeatures) -> [String] {
    var kernels: [String] = []
    if features.hasAVX512 {
      if features.avx512bf16 { kernels.append("Cooperlake") }
      kernels.append("SkylakeX")
    }
    if features.hasAVX2FMA { kernels.append("Haswell") }
    if features.avx { kernels.append("Sandybridge") }
    return kernels
  }
}

/// One kernel's numerical self-test and speed, as measured in a process running it.
public struct KernelProbe: Sendable, Equatable, Codable {
  /// The kernel asked for (OPENBLAS_CORETYPE), or the loaded one.
  public var requested: String
  /// What OpenBLAS reports it runs (differs from `requested` when it does not know the name).
  public var reported: String
  public var passed: Bool
  /// The largest error of the self-test's GEMMs, relative to Σ|a·b| (see `KernelSelfTest`).
  public var maxError: Double
  /// Single-thread SGEMM throughput (512³), GFLOP/s; 0 when not measured.
  public var gflops: Double
  /// Why the probe failed, when it did.
  public var failure: String?

  public init(requested: String, reported: String, passed: Bool, maxError: Double, gflops: Double, failure: String? = nil) {
    self.requested = requested
    self.reported = reported
    self.passed = passed
    self.maxError = maxError
    self.gflops = gflops
    self.failure = failure
  }

  /// A usable kernel: the one asked for runs, and it computes correct results.
  public var usable: Bool { passed && requested.lowercased() == reported.lowercased() }
}

/// Which kernel a process should run with, and why.
public struct KernelDecision: Sendable, Equatable, Codable {
  public enum Source: String, Sendable, Codable {
    /// OpenBLAS's own choice, kept.
    case openblas
    /// OPENBLAS_CORETYPE set by the user, kept.
    case user
    /// Chosen by FedSim over what OpenBLAS (or the user) picked.
    case fedsim
  }

  public var kernel: String
  public var source: Source
  public var reason: String
  /// Every probe run to decide (the loaded kernel's first).
  public var probes: [KernelProbe]
  /// Warnings for the user (a forced kernel that failed its self-test, say).
  public var warnings: [String] = []

  /// Decides from the loaded kernel, the CPU, the user's OPENBLAS_CORETYPE (nil when unset) and
  /// two probes: `probeLoaded` tests the kernel running in this process, `probe` another kernel
  /// (in a child process, since OpenBLAS reads OPENBLAS_CORETYPE only when it loads).
  ///
  /// The loaded kernel is kept when it passes its self-test and either the user forced it or it
  /// is as good as the best the CPU supports. Otherwise the CPU's candidates are tried from the
  /// best down, and the first that runs and passes is chosen; a kernel that fails is never used.
  public static func decide(
    loaded: String, features: CPUFeatures, userForced: String?, probeLoaded: () -> KernelProbe, probe: (String) -> KernelProbe
  ) -> KernelDecision {
    let current = probeLoaded()
    var probes = [current]
    var warnings: [String] = []
    let candidates = KernelLevel.candidates(for: features)
    let best = candidates.first.map { KernelLevel(kernel: $0) } ?? .generic
    if current.passed {
      if let userForced {
        return KernelDecision(
          kernel: loaded, source: .user,
          reason: "OPENBLAS_CORETYPE=\(userForced) is set in the environment (respected); self-test passed", probes: probes)
      }
      if KernelLevel(kernel: loaded) >= best {
        return KernelDecision(
          kernel: loaded, source: .openblas,
          reason: "OpenBLAS chose \(loaded), the best kernel family this CPU supports; self-test passed", probes: probes)
      }
    } else {
      warnings.append(
        "the \(loaded) kernel\(userForced != nil ? " forced by OPENBLAS_CORETYPE=\(userForced!)" : "") failed its self-test (max relative error \(current.maxError)): it is not used"
      )
    }
    let loadedLevel = KernelLevel(kernel: loaded)
    for candidate in candidates where candidate.lowercased() != loaded.lowercased() {
      // Above the loaded kernel only, unless the loaded one is wrong.
      guard !current.passed || KernelLevel(kernel: candidate) > loadedLevel else { continue }
      let result = probe(candidate)
      probes.append(result)
      if result.usable {
        let why =
          current.passed
          ? "OpenBLAS chose \(loaded) (\(loadedLevel)) on a CPU with \(features.summary); \(candidate) passed its self-test"
          : "\(loaded) failed its self-test; \(candidate) passed"
        return KernelDecision(kernel: candidate, source: .fedsim, reason: why, probes: probes, warnings: warnings)
      }
      warnings.append(
        "\(candidate) was not used: \(result.failure ?? (result.reported.lowercased() != candidate.lowercased() ? "OpenBLAS ran \(result.reported) instead" : "self-test failed (max relative error \(result.maxError))"))"
      )
    }
    if current.passed {
      return KernelDecision(
        kernel: loaded, source: userForced != nil ? .user : .openblas,
        reason: "no better kernel passed its self-test; keeping \(loaded) (self-test passed)", probes: probes, warnings: warnings)
    }
    // Nothing passed: the generic kernel is the last resort.
    if loaded.lowercased() != "prescott" {
      let generic = probe("Prescott")
      probes.append(generic)
      if generic.usable {
        return KernelDecision(
          kernel: "Prescott", source: .fedsim, reason: "every faster kernel failed its self-test; the generic Prescott kernel passed",
          probes: probes, warnings: warnings)
      }
    }
    warnings.append("no kernel passed the self-test: results of this process may be wrong")
    return KernelDecision(
      kernel: loaded, source: userForced != nil ? .user : .openblas, reason: "no kernel passed its self-test", probes: probes,
      warnings: warnings)
  }
}

extension KernelLevel: CustomStringConvertible {
  public var description: String {
    switch self {
    case .generic: return "generic SSE"
    case .avx: return "AVX"
    case .avx2: return "AVX2"
    case .avx512: return "AVX-512"
    }
  }
}
