import EkyaCore
import Testing

@Suite struct TextFormatTests {
    @Test(arguments: [
        (0.6825, "68.3%"), (0.05, "5.0%"), (1, "100.0%"), (-0.005, "-0.5%"), (-0.0004, "0.0%"), (0, "0.0%"),
    ])
    func percentHasOneDecimalAndKeepsTheSign(fraction: Double, text: String) {
        #expect(TextFormat.percent(fraction) == text)
    }

    @Test func fixedPadsDecimalsAndNamesNonFiniteValues() {
        #expect(TextFormat.fixed2(0.517) == "0.52")
        #expect(TextFormat.fixed2(3.005) == "3.01" || TextFormat.fixed2(3.005) == "3.00")
        #expect(TextFormat.fixed2(12) == "12.00")
        #expect(TextFormat.fixed2(0.04) == "0.04")
        #expect(TextFormat.fixed2(-1.5) == "-1.50")
        #expect(TextFormat.fixed(2.5, decimals: 0) == "3")
        #expect(TextFormat.fixed(.nan, decimals: 2) == "nan" && TextFormat.fixed(-.infinity, decimals: 1) == "-inf")
    }

    @Test func xmlEscapingCoversMarkupAndAttributeQuotes() {
        #expect(TextFormat.xmlEscaped(#"a < b & "c" > d"#) == "a &lt; b &amp; &quot;c&quot; &gt; d")
        #expect(TextFormat.xmlEscaped("day-night") == "day-night")
    }

    enum One: String, CaseIterable { case only }
    enum Three: String, CaseIterable { case a, b, c = "c-d" }

    @Test func choicesListTheRawValuesAsAnErrorMessageDoes() {
        #expect(One.choices == "'only'")
        #expect(ReallocationPolicy.choices.hasPrefix("'paper', "))
        #expect(Three.choices == "'a', 'b' or 'c-d'")
        #expect(Capacity.Packing.choices == "'devices' or 'pooled'")
    }
}
