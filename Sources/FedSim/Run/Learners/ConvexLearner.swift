import Aggregation
import Learning
import Randomness
import StateArchive

/// One client's model of a convex task, in Float64.
final class ConvexClient: @unchecked Sendable {
  // @unchecked Sendable: mutated only by the job that trains or mixes this client, one at a time.
  var x: [Double]
  var steps = 0
  init(x: [Double]) { self.x = x }
}

/// Gradient descent on a client's convex objective (least squares or logistic regression): the
/// tasks of papers' convex experiments, where the optimum x* of Σ_i f_i is known.
final class ConvexLearner: LocalLearner, @unchecked Sendable {
  // @unchecked Sendable: immutable after init (the population guards its own cache).
  let population: ConvexPopulation
  let schedule: ScheduleSection
  let seed: UInt64
  let initialValues: [Float]
  let optimum: [Double]?
  let learningRateSchedule: LearningRateSchedule
  /// Populations above this size get no x*: it needs every client's data.
  static let optimumLimit = 100_000

  init(
    source: DataSection.Source, data: DataSection, clients: Int, schedule: ScheduleSection, initialValue: Double, seed: UInt64,
    eager: Bool = false
  ) throws(RunError) {
    guard source.isConvex else {
      throw .invalid(field: "data.source.kind", value: "text", reason: "convex tasks need decor-quadratic, linear or logistic data")
    }
    population = ConvexPopulation(source: source, data: data, clients: clients, seed: seed, eager: eager)
    self.schedule = schedule
    self.seed = seed
    initialValues = [Float](repeating: Float(initialValue), count: population.dimension)
    let population = self.population
    optimum = clients <= Self.optimumLimit ? ConvexProblem.optimum(count: clients) { population.problem($0, .train) } : nil
    learningRateSchedule =
      LearningRateSchedule.named(
        schedule.learningRateSchedule, peak: schedule.learningRate, warmupSteps: schedule.warmupSteps,
        totalSteps: max(1, schedule.rounds * schedule.localSteps)) ?? .constant(schedule.learningRate)
  }

  var tensors: [TensorSpan] { [TensorSpan(name: "x", offset: 0, rows: 1, columns: initialValues.count)] }
  func roundStepSize(of state: ConvexClient) -> Double {
    learningRateSchedule.meanRate(from: state.steps, count: schedule.localSteps)
  }
  var localSteps: Int { schedule.localSteps }
  var batchSize: Int { schedule.batchSize }

  /// x⁰ is the same constant for every client: there is nothing to draw.
  func makeState(client: Int, ownInitialisation: Bool) -> ConvexClient { ConvexClient(x: initialValues.map(Double.init)) }
  func values(of state: ConvexClient) -> [Float] { state.x.map(Float.init) }
  func snapshot(of state: ConvexClient) -> (x: [Double], steps: Int) { (state.x, state.steps) }
  func restore(_ snapshot: (x: [Double], steps: Int), to state: ConvexClient) {
    state.x = snapshot.x
    state.steps = snapshot.steps
  }
  func setValues(_ values: [Float], of state: ConvexClient) { state.x = values.map(Double.init) }
  func archive(_ state: ConvexClient, to writer: inout ArchiveWriter) {
    writer.section("convex-client")
    writer.write(state.x)
    writer.write(state.steps)
  }
  func restore(_ state: ConvexClient, from reader: inout ArchiveReader) throws(ArchiveError) {
    try reader.section("convex-client")
    let x = try reader.readDoubles()
    guard x.count == state.x.count else { throw .mismatch(what: "a client's dimension", found: "\(x.count)", expected: "\(state.x.count)") }
    state.x = x
    state.steps = try reader.readInt()
  }

  /// The step's batch: every example when the batch covers them (deterministic full gradient),
  /// otherwise `batch_size` distinct examples drawn with the client's stream.
  func batch(client: Int, round: Int, step: Int) -> [Int]? {
    let m = population.counts(client).train
    guard schedule.batchSize < m else { return nil }
    var stream = RandomStream(seed: seed, purpose: .batches, client: UInt32(client), round: UInt32(round), step: UInt32(step))
    var indices = Array(0..<m)
    for k in 0..<schedule.batchSize { indices.swapAt(k, k + stream.nextInt(below: m - k)) }
    return Array(indices.prefix(schedule.batchSize)).sorted()
  }

  func train(
    client: Int, state: ConvexClient, round: Int, worker: Int, anchor: [Float]?, proximal: Double, privacy: ExampleLevelPrivacy?,
    flipLabels: Bool
  ) -> [String: Double] {
    let data = population.problem(client, .train)
    let problem = flipLabels ? data.flippingLabels() : data
    let lossBefore = problem.value(state.x)
    for step in 0..<schedule.localSteps {
      let rows = batch(client: client, round: round, step: step)
      var g: [Double]
      if let privacy {
        g = [Double](repeating: 0, count: problem.dimension)
        let chosen = rows ?? Array(0..<problem.examples)
        for k in chosen {
          var gk = problem.exampleGradient(state.x, k)
          let norm = gk.reduce(0) { $0 + $1 * $1 }.squareRoot()
          let scale = min(1, privacy.clip / max(norm, 1e-300))
          if let canary = privacy.canary {
            // An audit: example 0 is the canary; the others have nothing along its coordinate.
            if k == 0 {
              g[canary.coordinate] += canary.value
              continue
            }
            gk[canary.coordinate] = 0
          }
          for j in 0..<g.count { g[j] += scale * gk[j] }
        }
        for j in 0..<g.count { g[j] /= Double(chosen.count) }
        privacy.addNoise(step, &g)
      } else {
        g = problem.gradient(state.x, batch: rows)
        if let clip = schedule.gradientClip {
          let norm = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
          if norm > Double(clip) { g = g.map { $0 * Double(clip) / norm } }
        }
      }
      if proximal > 0, let anchor {
        for j in 0..<g.count { g[j] += proximal * (state.x[j] - Double(anchor[j])) }
      }
      let eta = Double(learningRateSchedule.rate(at: state.steps))
      for j in 0..<g.count { state.x[j] -= eta * g[j] }
      state.steps += 1
    }
    return ["train_loss": lossBefore]
  }

  func trainingWeight(client: Int) -> Double { Double(population.counts(client).train) }
  func exampleCount(client: Int) -> Int { population.counts(client).train }

  func localWorkFLOPs(client: Int) -> Double {
    // ConvexProblem.gradientFLOPs, from the sizes alone (no data is generated to schedule work).
    let batch = min(schedule.batchSize, population.counts(client).train), d = population.dimension
    return Double(schedule.localSteps) * Double(4 * batch * d + 2 * d)
  }

  var requiredMemoryBytes: Double { Double(initialValues.count * 8 * 3) }

  func evaluate(values: [Float], client: Int, split: String) -> ClientEvaluation {
    let problem = population.problem(client, split == "train" ? .train : split == "test" ? .test : .validation)
    let x = values.map(Double.init)
    return ClientEvaluation(loss: problem.value(x), count: problem.examples, accuracy: problem.accuracy(x), perplexity: nil)
  }

  func validationLoss(values: [Float], receiver: Int) -> Double {
    population.problem(receiver, .validation).value(values.map(Double.init))
  }

  func predictions(values: [Float], request: EvidenceRequest, worker: Int) -> Predictions? { nil }
}
