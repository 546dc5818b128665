import Aggregation
import Learning
import Randomness

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
  // @unchecked Sendable: immutable after init.
  let trainProblems: [ConvexProblem]
  let validation: [ConvexProblem]
  let test: [ConvexProblem]
  let schedule: ScheduleSection
  let seed: UInt64
  let initialValues: [Float]
  let optimum: [Double]?
  let learningRateSchedule: LearningRateSchedule

  init(source: DataSection.Source, data: DataSection, clients: Int, schedule: ScheduleSection, initialValue: Double, seed: UInt64)
    throws(RunError)
  {
    var train: [ConvexProblem] = [], validation: [ConvexProblem] = [], test: [ConvexProblem] = []
    for client in 0..<clients {
      switch source {
      case .decorQuadratic(let dimension, let zeta):
        // The user's whole objective: evaluated on the data it trains on.
        let problem = ConvexProblem.decorQuadratic(client: client, clients: clients, dimension: dimension, zeta: zeta, seed: seed)
        train.append(problem)
        validation.append(problem)
        test.append(problem)
      case .linear(let dimension, let examples, let noise, let heterogeneity):
        let parts = Self.split(
          .linearSynthetic(
            client: client, examples: examples, dimension: dimension, noise: noise, heterogeneity: heterogeneity, seed: seed), data)
        train.append(parts.0)
        validation.append(parts.1)
        test.append(parts.2)
      case .logistic(let dimension, let examples, let heterogeneity, let l2):
        let parts = Self.split(
          .logisticSynthetic(client: client, examples: examples, dimension: dimension, heterogeneity: heterogeneity, l2: l2, seed: seed),
          data)
        train.append(parts.0)
        validation.append(parts.1)
        test.append(parts.2)
      default:
        throw .invalid(field: "data.source.kind", value: "text", reason: "convex tasks need decor-quadratic, linear or logistic data")
      }
    }
    if train.contains(where: { $0.examples == 0 }) {
      throw .data("a client has no training examples: raise data.source.examples or data.splits.train")
    }
    self.trainProblems = train
    self.validation = validation
    self.test = test
    self.schedule = schedule
    self.seed = seed
    initialValues = [Float](repeating: Float(initialValue), count: train[0].dimension)
    optimum = ConvexProblem.optimum(of: train)
    learningRateSchedule =
      LearningRateSchedule.named(
        schedule.learningRateSchedule, peak: schedule.learningRate, warmupSteps: schedule.warmupSteps,
        totalSteps: max(1, schedule.rounds * schedule.localSteps)) ?? .constant(schedule.learningRate)
  }

  /// Consecutive train / validation / test examples in the data section's proportions.
  static func split(_ problem: ConvexProblem, _ data: DataSection) -> (ConvexProblem, ConvexProblem, ConvexProblem) {
    let m = problem.examples, d = problem.dimension
    let trainCount = max(1, Int((Double(m) * data.trainFraction).rounded()))
    let validationCount = min(m - trainCount, Int((Double(m) * data.validationFraction).rounded()))
    func slice(_ range: Range<Int>) -> ConvexProblem {
      ConvexProblem(
        features: Array(problem.features[(range.lowerBound * d)..<(range.upperBound * d)]), targets: Array(problem.targets[range]),
        dimension: d, loss: problem.loss, reduction: problem.reduction, l2: problem.l2)
    }
    let validation = slice(trainCount..<(trainCount + validationCount))
    let test = slice((trainCount + validationCount)..<m)
    return (slice(0..<trainCount), validation.examples > 0 ? validation : slice(0..<trainCount), test.examples > 0 ? test : validation)
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

  /// The step's batch: every example when the batch covers them (deterministic full gradient),
  /// otherwise `batch_size` distinct examples drawn with the client's stream.
  func batch(client: Int, round: Int, step: Int) -> [Int]? {
    let m = trainProblems[client].examples
    guard schedule.batchSize < m else { return nil }
    var stream = RandomStream(seed: seed, purpose: .batches, client: UInt32(client), round: UInt32(round), step: UInt32(step))
    var indices = Array(0..<m)
    for k in 0..<schedule.batchSize { indices.swapAt(k, k + stream.nextInt(below: m - k)) }
    return Array(indices.prefix(schedule.batchSize)).sorted()
  }

  func train(
    client: Int, state: ConvexClient, round: Int, worker: Int, anchor: [Float]?, proximal: Double, privacy: ExampleLevelPrivacy?
  ) -> [String: Double] {
    let problem = trainProblems[client]
    let lossBefore = problem.value(state.x)
    for step in 0..<schedule.localSteps {
      let rows = batch(client: client, round: round, step: step)
      var g: [Double]
      if let privacy {
        g = [Double](repeating: 0, count: problem.dimension)
        let chosen = rows ?? Array(0..<problem.examples)
        for k in chosen {
          let gk = problem.exampleGradient(state.x, k)
          let norm = gk.reduce(0) { $0 + $1 * $1 }.squareRoot()
          let scale = min(1, privacy.clip / max(norm, 1e-300))
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

  func trainingWeight(client: Int) -> Double { Double(trainProblems[client].examples) }
  func exampleCount(client: Int) -> Int { trainProblems[client].examples }

  func localWorkFLOPs(client: Int) -> Double {
    Double(schedule.localSteps) * trainProblems[client].gradientFLOPs(batch: min(schedule.batchSize, trainProblems[client].examples))
  }

  var requiredMemoryBytes: Double { Double(initialValues.count * 8 * 3) }

  func evaluate(values: [Float], client: Int, split: String) -> ClientEvaluation {
    let problem = split == "train" ? trainProblems[client] : split == "test" ? test[client] : validation[client]
    let x = values.map(Double.init)
    return ClientEvaluation(loss: problem.value(x), count: problem.examples, accuracy: problem.accuracy(x), perplexity: nil)
  }

  func validationLoss(values: [Float], receiver: Int) -> Double { validation[receiver].value(values.map(Double.init)) }

  func predictions(values: [Float], request: EvidenceRequest, worker: Int) -> Predictions? { nil }
}
