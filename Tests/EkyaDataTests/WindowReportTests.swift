import EkyaData
import Foundation
import Testing

@Suite struct WindowReportTests {
    func reports() throws -> [WindowReport] {
        let schedule = try ScenarioPreset.dayNight.schedule(windowCount: 3, seed: 1)
        return schedule.windows.enumerated().map { index, drift in
            var crops = CropBatch()
            crops.append(pixels: [Float](repeating: 0, count: 784), label: 8, timestamp: .zero, sourceID: 0)
            let window = StreamWindow(index: index, start: .zero, drift: drift, train: crops, test: CropBatch())
            var report = WindowReport(
                window: window,
                reference: schedule.windows[0],
                classNames: FashionMNIST.classNames
            )
            report.staleAccuracy = 0.9 - 0.2 * Double(index)
            report.retrainedAccuracy = 0.9
            return report
        }
    }

    @Test func jsonHasTheKeysOtherChecksRelyOn() throws {
        let json = try WindowReport.json(try reports())
        let array = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        #expect(array.count == 3)
        #expect(array[1]["window"] as? Int == 1)
        #expect(array[2]["stale_accuracy"] as? Double == 0.5)
        #expect(array[2]["retrained_accuracy"] as? Double == 0.9)
        #expect((array[0]["class_mix"] as? [String: Double])?["bag"] == 1)
        #expect((array[0]["covariate"] as? [String: Double])?["motion_blur"] == 0)
    }

    @Test func missingAccuraciesAreNull() throws {
        var reports = try reports()
        reports[0].staleAccuracy = nil
        let json = try WindowReport.json(reports)
        #expect(json.contains("\"stale_accuracy\" : null"))
    }

    @Test func tableAndPlotShowEveryWindow() throws {
        let reports = try reports()
        let table = WindowReport.table(reports, classNames: FashionMNIST.classNames)
        #expect(table.split(separator: "\n").count == 4)
        #expect(table.contains("bag 100%"))
        let svg = DriftPlot.svg(reports, title: "day-night <test>")
        #expect(svg.hasPrefix("<svg"))
        #expect(svg.contains("&lt;test&gt;"))
        #expect(svg.components(separatedBy: "<polyline").count == 3)
    }
}
