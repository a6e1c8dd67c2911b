/// Bounded nonlinear least squares by the dogbox trust-region method (Voglis & Lagaris, 2004).
///
/// A pure-Swift port of the algorithm behind SciPy's `least_squares(method="dogbox")` with its
/// defaults: forward-difference Jacobian, a rectangular trust region, Gauss–Newton steps from the
/// minimum-norm least-squares solution (so under-determined fits, fewer residuals than parameters, are
/// solved the way the Ekya authors' code solved them), ftol = xtol = gtol = 1e-8, at most 100·n
/// function evaluations. Bounds may be infinite.
public struct LeastSquares: Sendable {
    public enum Failure: Error, Equatable, CustomStringConvertible, Sendable {
        case emptyProblem
        case nonFiniteStart
        case infeasibleStart
        case notConverged(evaluations: Int)

        public var description: String {
            switch self {
            case .emptyProblem: "least squares needs at least one residual and one parameter"
            case .nonFiniteStart: "the residuals are not finite at the start point"
            case .infeasibleStart: "the start point lies outside the bounds"
            case .notConverged(let evaluations): "no convergence within \(evaluations) function evaluations"
            }
        }
    }

    public struct Solution: Sendable, Equatable {
        public var parameters: [Double]
        /// Half the sum of squared residuals at the solution.
        public var cost: Double
        public var evaluations: Int
    }

    public var lowerBounds: [Double]?
    public var upperBounds: [Double]?
    public var tolerance = 1e-8
    public var maximumEvaluations: Int?

    public init(lowerBounds: [Double]? = nil, upperBounds: [Double]? = nil) {
        self.lowerBounds = lowerBounds
        self.upperBounds = upperBounds
    }

    /// Minimises ½‖residuals(x)‖² from `start`.
    public func solve(
        start: [Double],
        residuals: ([Double]) -> [Double]
    ) throws(Failure) -> Solution {
        let n = start.count
        let lower = lowerBounds ?? [Double](repeating: -.infinity, count: n)
        let upper = upperBounds ?? [Double](repeating: .infinity, count: n)
        guard n > 0, lower.count == n, upper.count == n else { throw .emptyProblem }
        guard zip(start, zip(lower, upper)).allSatisfy({ $0.0 >= $0.1.0 && $0.0 <= $0.1.1 }) else {
            throw .infeasibleStart
        }
        var x = start
        var f = residuals(x)
        guard !f.isEmpty else { throw .emptyProblem }
        guard f.allSatisfy(\.isFinite) else { throw .nonFiniteStart }
        let maxEvaluations = maximumEvaluations ?? 100 * n
        var evaluations = 1
        var jacobian = Self.jacobian(at: x, f0: f, residuals: residuals)
        var cost = 0.5 * Self.dot(f, f)
        var gradient = Self.transposeTimes(jacobian, f)
        var radius = x.map(abs).max() ?? 0
        if radius == 0 { radius = 1 }
        var onBound = [Int](repeating: 0, count: n)
        var status: Int?

        while true {
            let active = (0..<n).map { Double(onBound[$0]) * gradient[$0] < 0 }
            var maskedGradient = gradient
            for index in 0..<n where active[index] { maskedGradient[index] = 0 }
            if (maskedGradient.map(abs).max() ?? 0) < tolerance { status = 1 }
            if status != nil || evaluations >= maxEvaluations { break }

            let free = (0..<n).filter { !active[$0] }
            let freeJacobian = jacobian.map { row in free.map { row[$0] } }
            let freeGradient = free.map { gradient[$0] }
            let newton = Self.minimumNormSolve(freeJacobian, f.map { -$0 })
            let jg = freeJacobian.map { row in Self.dot(row, freeGradient.map { -$0 }) }
            let a = 0.5 * Self.dot(jg, jg)
            let b = -Self.dot(freeGradient, freeGradient)

            var actualReduction = -1.0
            var accepted: (x: [Double], f: [Double], cost: Double, bounds: [Int])?
            while actualReduction <= 0, evaluations < maxEvaluations {
                let freeX = free.map { x[$0] }
                let (stepFree, hits, trustHit) = Self.doglegStep(
                    x: freeX,
                    newton: newton,
                    gradient: freeGradient,
                    a: a,
                    b: b,
                    radius: radius,
                    lower: free.map { lower[$0] },
                    upper: free.map { upper[$0] }
                )
                var step = [Double](repeating: 0, count: n)
                for (position, index) in free.enumerated() { step[index] = stepFree[position] }
                let js = freeJacobian.map { Self.dot($0, stepFree) }
                let predictedReduction = -(0.5 * Self.dot(js, js) + Self.dot(stepFree, freeGradient))
                let candidate = (0..<n).map { min(max(x[$0] + step[$0], lower[$0]), upper[$0]) }
                let fNew = residuals(candidate)
                evaluations += 1
                let stepNorm = step.map(abs).max() ?? 0
                guard fNew.allSatisfy(\.isFinite) else {
                    radius = 0.25 * stepNorm
                    continue
                }
                let costNew = 0.5 * Self.dot(fNew, fNew)
                actualReduction = cost - costNew
                let ratio: Double
                if predictedReduction > 0 {
                    ratio = actualReduction / predictedReduction
                } else if predictedReduction == 0, actualReduction == 0 {
                    ratio = 1
                } else {
                    ratio = 0
                }
                if ratio < 0.25 {
                    radius = 0.25 * stepNorm
                } else if ratio > 0.75, trustHit {
                    radius *= 2
                }
                let euclidean = Self.dot(step, step).squareRoot()
                let ftol = actualReduction < tolerance * cost && ratio > 0.25
                let xtol = euclidean < tolerance * (tolerance + Self.dot(x, x).squareRoot())
                if ftol || xtol { status = ftol && xtol ? 4 : (ftol ? 2 : 3) }
                var bounds = onBound
                for (position, index) in free.enumerated() { bounds[index] = hits[position] }
                if actualReduction > 0 { accepted = (candidate, fNew, costNew, bounds) }
                if status != nil { break }
            }
            if actualReduction > 0, let accepted {
                onBound = accepted.bounds
                x = accepted.x
                for index in 0..<n {
                    if onBound[index] == -1 { x[index] = lower[index] }
                    if onBound[index] == 1 { x[index] = upper[index] }
                }
                f = accepted.f
                cost = accepted.cost
                jacobian = Self.jacobian(at: x, f0: f, residuals: residuals)
                gradient = Self.transposeTimes(jacobian, f)
            }
            if status != nil { break }
        }
        guard status != nil, x.allSatisfy(\.isFinite), cost.isFinite else {
            throw .notConverged(evaluations: evaluations)
        }
        return Solution(parameters: x, cost: cost, evaluations: evaluations)
    }

    // MARK: - Pieces of the dogbox method

    /// Forward differences with SciPy's step: √ε · sign(x) · max(1, |x|), recomputed as representable.
    static func jacobian(at x: [Double], f0: [Double], residuals: ([Double]) -> [Double]) -> [[Double]] {
        let relative = Double.ulpOfOne.squareRoot()
        var columns: [[Double]] = []
        for index in x.indices {
            var shifted = x
            let sign: Double = x[index] >= 0 ? 1 : -1
            shifted[index] = x[index] + relative * sign * max(1, abs(x[index]))
            let dx = shifted[index] - x[index]
            let f = residuals(shifted)
            columns.append(zip(f, f0).map { ($0 - $1) / dx })
        }
        return f0.indices.map { row in columns.map { $0[row] } }
    }

    static func doglegStep(
        x: [Double],
        newton: [Double],
        gradient: [Double],
        a: Double,
        b: Double,
        radius: Double,
        lower: [Double],
        upper: [Double]
    ) -> (step: [Double], hits: [Int], trustHit: Bool) {
        let n = x.count
        var lowerTotal = [Double](repeating: 0, count: n)
        var upperTotal = [Double](repeating: 0, count: n)
        var originalLower = [Bool](repeating: false, count: n)
        var originalUpper = [Bool](repeating: false, count: n)
        var trustLower = [Bool](repeating: false, count: n)
        var trustUpper = [Bool](repeating: false, count: n)
        for index in 0..<n {
            let lowCentered = lower[index] - x[index]
            let highCentered = upper[index] - x[index]
            lowerTotal[index] = max(lowCentered, -radius)
            upperTotal[index] = min(highCentered, radius)
            originalLower[index] = lowerTotal[index] == lowCentered
            originalUpper[index] = upperTotal[index] == highCentered
            trustLower[index] = lowerTotal[index] == -radius
            trustUpper[index] = upperTotal[index] == radius
        }
        var hits = [Int](repeating: 0, count: n)
        if (0..<n).allSatisfy({ newton[$0] >= lowerTotal[$0] && newton[$0] <= upperTotal[$0] }) {
            return (newton, hits, false)
        }
        let zero = [Double](repeating: 0, count: n)
        let (toBounds, _) = stepSizeToBound(zero, gradient.map { -$0 }, lowerTotal, upperTotal)
        let t = minimizeQuadratic1D(a: a, b: b, lower: 0, upper: toBounds)
        let cauchy = gradient.map { -t * $0 }
        let difference = zip(newton, cauchy).map { $0 - $1 }
        let (size, stepHits) = stepSizeToBound(cauchy, difference, lowerTotal, upperTotal)
        var trustHit = false
        for index in 0..<n {
            if stepHits[index] < 0, originalLower[index] { hits[index] = -1 }
            if stepHits[index] > 0, originalUpper[index] { hits[index] = 1 }
            if stepHits[index] < 0 && trustLower[index] || stepHits[index] > 0 && trustUpper[index] { trustHit = true }
        }
        return (zip(cauchy, difference).map { $0 + size * $1 }, hits, trustHit)
    }

    static func stepSizeToBound(
        _ x: [Double],
        _ s: [Double],
        _ lower: [Double],
        _ upper: [Double]
    ) -> (Double, [Int]) {
        var steps = [Double](repeating: .infinity, count: x.count)
        for index in x.indices where s[index] != 0 {
            steps[index] = max((lower[index] - x[index]) / s[index], (upper[index] - x[index]) / s[index])
        }
        let minimum = steps.min() ?? .infinity
        let hits = x.indices.map { index -> Int in
            guard steps[index] == minimum else { return 0 }
            return s[index] > 0 ? 1 : (s[index] < 0 ? -1 : 0)
        }
        return (minimum, hits)
    }

    static func minimizeQuadratic1D(a: Double, b: Double, lower: Double, upper: Double) -> Double {
        var candidates = [lower, upper]
        if a != 0 {
            let extremum = -0.5 * b / a
            if lower < extremum, extremum < upper { candidates.append(extremum) }
        }
        var best = candidates[0]
        var bestValue = Double.infinity
        for t in candidates {
            let value = t * (a * t + b)
            if value < bestValue {
                bestValue = value
                best = t
            }
        }
        return best
    }

    /// Minimum-norm least-squares solution of J·x = r via the eigen-decomposition of the smaller Gram matrix.
    static func minimumNormSolve(_ matrix: [[Double]], _ rhs: [Double]) -> [Double] {
        let m = matrix.count
        let n = matrix.first?.count ?? 0
        guard m > 0, n > 0 else { return [Double](repeating: 0, count: n) }
        if n <= m {
            // x = V Λ⁺ Vᵀ Jᵀ r with JᵀJ = V Λ Vᵀ.
            var gram = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
            for i in 0..<n {
                for j in 0..<n {
                    var sum = 0.0
                    for row in 0..<m { sum += matrix[row][i] * matrix[row][j] }
                    gram[i][j] = sum
                }
            }
            let jtr = (0..<n).map { i in (0..<m).reduce(0.0) { $0 + matrix[$1][i] * rhs[$1] } }
            return pseudoInverseApply(gram, jtr)
        }
        // x = Jᵀ (J Jᵀ)⁺ r.
        var gram = [[Double]](repeating: [Double](repeating: 0, count: m), count: m)
        for i in 0..<m {
            for j in 0..<m { gram[i][j] = dot(matrix[i], matrix[j]) }
        }
        let y = pseudoInverseApply(gram, rhs)
        return (0..<n).map { column in (0..<m).reduce(0.0) { $0 + matrix[$1][column] * y[$1] } }
    }

    /// Applies the pseudo-inverse of a symmetric positive semi-definite matrix to `vector`.
    static func pseudoInverseApply(_ symmetric: [[Double]], _ vector: [Double]) -> [Double] {
        let (values, vectors) = jacobiEigen(symmetric)
        let largest = values.map(abs).max() ?? 0
        let cutoff = largest * 1e-13
        let k = values.count
        var result = [Double](repeating: 0, count: k)
        for index in 0..<k where values[index] > cutoff {
            let projection = (0..<k).reduce(0.0) { $0 + vectors[$1][index] * vector[$1] } / values[index]
            for row in 0..<k { result[row] += projection * vectors[row][index] }
        }
        return result
    }

    /// Eigenvalues and eigenvectors (columns) of a small symmetric matrix by cyclic Jacobi rotations.
    static func jacobiEigen(_ input: [[Double]]) -> ([Double], [[Double]]) {
        var a = input
        let n = a.count
        var v = (0..<n).map { i in (0..<n).map { j in i == j ? 1.0 : 0.0 } }
        for _ in 0..<100 {
            var offDiagonal = 0.0
            for i in 0..<n {
                for j in (i + 1)..<max(n, i + 1) { offDiagonal += a[i][j] * a[i][j] }
            }
            if offDiagonal < 1e-30 { break }
            for p in 0..<n {
                for q in (p + 1)..<max(n, p + 1) where a[p][q] != 0 {
                    let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot()
                    let s = t * c
                    for k in 0..<n {
                        let akp = a[k][p]
                        let akq = a[k][q]
                        a[k][p] = c * akp - s * akq
                        a[k][q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p][k]
                        let aqk = a[q][k]
                        a[p][k] = c * apk - s * aqk
                        a[q][k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k][p]
                        let vkq = v[k][q]
                        v[k][p] = c * vkp - s * vkq
                        v[k][q] = s * vkp + c * vkq
                    }
                }
            }
        }
        return ((0..<n).map { a[$0][$0] }, v)
    }

    static func dot(_ lhs: [Double], _ rhs: [Double]) -> Double {
        var sum = 0.0
        for index in lhs.indices { sum += lhs[index] * rhs[index] }
        return sum
    }

    static func transposeTimes(_ matrix: [[Double]], _ vector: [Double]) -> [Double] {
        guard let width = matrix.first?.count else { return [] }
        return (0..<width).map { column in matrix.indices.reduce(0.0) { $0 + matrix[$1][column] * vector[$1] } }
    }
}
