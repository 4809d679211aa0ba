namespace Netstack.Harness.Reports;

/// <summary>The report's stylesheet, inlined into every page (a report opens offline, from a CI artifact).</summary>
public static class ReportStyle
{
    public const string Css = """
:root { --pass: #1a7f37; --fail: #cf222e; --skip: #9a6700; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa;
        --tcp: #0969da; --arp: #6e7781; --icmp: #1b7c83; --udp: #8250df; --other: #57606a;
        --seg: #0a3069; --ack: #1a7f37; --win: #bf8700; --sack: #8250df; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--ink); background: #fff; }
header.run { padding: 16px 24px; background: #24292f; color: #fff; }
header.run h1 { margin: 0 0 4px; font-size: 20px; font-weight: 600; }
header.run .cmd { font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; color: #d0d7de; }
header.run .totals { margin-top: 8px; display: flex; gap: 8px; flex-wrap: wrap; }
main { padding: 8px 24px 48px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; vertical-align: 2px; }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); } .badge.skip { background: var(--skip); } .badge.info { background: #57606a; }
table.overview { border-collapse: collapse; margin: 12px 0 20px; font-size: 13px; }
table.overview th, table.overview td { padding: 3px 12px 3px 0; text-align: left; border-bottom: 1px solid var(--line); white-space: nowrap; }
table.overview td.why { max-width: 560px; overflow: hidden; text-overflow: ellipsis; color: var(--muted); }
table.overview td.num, table.overview th.num { text-align: right; font-variant-numeric: tabular-nums; }
section.scenario { border: 1px solid var(--line); border-radius: 6px; margin: 16px 0; }
section.scenario.failed { border-color: var(--fail); box-shadow: inset 4px 0 0 var(--fail); }
section.scenario > details > summary { cursor: pointer; padding: 10px 14px; background: var(--bg); border-radius: 6px 6px 0 0; list-style-position: inside; }
section.scenario h2 { display: inline; font-size: 17px; margin: 0 0 0 6px; }
.body { padding: 4px 16px 16px; }
.meta { color: var(--muted); font-size: 13px; margin: 4px 0 8px; }
.meta code, .meta b { color: var(--ink); }
.description { white-space: pre-wrap; margin: 6px 0; }
h3 { font-size: 15px; margin: 18px 0 6px; }
h4 { font-size: 13px; margin: 12px 0 4px; font-weight: 600; }
pre.failure { background: #fff5f5; border: 1px solid #ffcecb; border-left: 4px solid var(--fail); padding: 8px 10px; overflow-x: auto;
              font: 12px/1.45 ui-monospace, "DejaVu Sans Mono", monospace; margin: 6px 0; }
pre.failure.first { border-left-width: 8px; }
ul.not-run { color: var(--muted, #57606a); }
pre.failure a { color: var(--fail); font-weight: 600; }
ul.faults { margin: 4px 0; padding-left: 20px; font-size: 13px; } ul.faults code { font-size: 12px; }
.note { color: var(--muted); font-size: 12px; margin: 4px 0; }
.ladder-wrap { overflow: auto; max-height: 640px; border: 1px solid var(--line); border-radius: 4px; }
svg.ladder { display: block; font: 11px ui-monospace, "DejaVu Sans Mono", monospace; }
svg.ladder .colhead { fill: var(--muted); font-weight: 600; }
svg.ladder .host { font: 600 13px system-ui, "DejaVu Sans", sans-serif; fill: var(--ink); }
svg.ladder .lane { stroke: #8c959f; stroke-width: 1.5; }
svg.ladder .row .bg { fill: transparent; }
svg.ladder .row:nth-of-type(even) .bg { fill: #f6f8fa; }
svg.ladder .row:hover .bg { fill: #ddf4ff; }
svg.ladder .row.cited .bg { fill: #fff8c5; }
svg.ladder .row:target .bg { fill: #ffd8b5; }
svg.ladder .time { fill: var(--muted); }
svg.ladder .arrow { stroke-width: 1.6; fill: currentColor; stroke: currentColor; }
svg.ladder .arrow.tcp { color: var(--tcp); } svg.ladder .arrow.arp { color: var(--arp); } svg.ladder .arrow.icmp { color: var(--icmp); }
svg.ladder .arrow.udp { color: var(--udp); } svg.ladder .arrow.other { color: var(--other); }
svg.ladder .arrow.rtx { color: #bc4c00; }
svg.ladder .arrow.lost { stroke-dasharray: 5 3; color: var(--fail); fill: none; }
svg.ladder .rx { fill: var(--ink); }
svg.ladder .label { font-size: 10px; fill: var(--ink); paint-order: stroke; stroke: #fff; stroke-width: 3px; }
svg.ladder .label.rtx, svg.ladder .desc.rtx .note { fill: #bc4c00; }
svg.ladder .desc { fill: var(--ink); } svg.ladder .desc .num { fill: var(--muted); } svg.ladder .desc .note { fill: var(--fail); } svg.ladder .desc .step { fill: var(--muted); font-style: italic; }
svg.ladder .fault.drop { stroke: var(--fail); stroke-width: 2.5; }
svg.ladder .fault rect { stroke: none; } svg.ladder .fault text { font: 700 8px system-ui, sans-serif; fill: #fff; }
svg.ladder .fault.dup rect { fill: #bf8700; } svg.ladder .fault.corrupt rect { fill: #8250df; } svg.ladder .fault.delay rect { fill: #0969da; } svg.ladder .fault.trunc rect { fill: #6e7781; }
svg.ladder .gaprow { fill: #eaeef2; } svg.ladder .gap text { fill: var(--muted); font-style: italic; }
.graphs { display: grid; grid-template-columns: repeat(auto-fit, minmax(760px, 1fr)); gap: 8px 20px; }
figure.tsg-figure { margin: 6px 0; }
figure.tsg-figure figcaption { font-size: 13px; }
svg.tsg, svg.histogram { width: 100%; height: auto; display: block; font: 11px system-ui, "DejaVu Sans", sans-serif; background: #fff; }
.axes .frame { fill: none; stroke: #8c959f; } .axes .grid { stroke: #eaeef2; } .axes .tick { fill: var(--muted); } .axes .label { fill: var(--ink); }
svg.tsg .seg { stroke: var(--seg); stroke-width: 1.3; fill: none; }
svg.tsg .seg.rtx { stroke: var(--fail); stroke-width: 2; }
svg.tsg .seg.probe { stroke: #bc4c00; stroke-width: 2.5; }
svg.tsg .seg.lost { stroke-dasharray: 2 2; }
svg.tsg .rtx-mark { fill: var(--fail); }
svg.tsg .drop-mark { stroke: var(--fail); stroke-width: 2; fill: none; }
svg.tsg .ack { fill: none; stroke: var(--ack); stroke-width: 1.4; }
svg.tsg .win { fill: none; stroke: var(--win); stroke-width: 1.2; }
svg.tsg .sack { stroke: var(--sack); stroke-width: 2.2; }
svg.tsg .dupack { fill: var(--ack); }
.legend i.dupack { width: 7px; height: 7px; border: none; background: var(--ack); transform: rotate(45deg); }
.legend i.rtxmark { width: 7px; height: 7px; border: none; background: var(--fail); border-radius: 50%; }
svg.tsg .offscale { font-size: 11px; fill: var(--win); paint-order: stroke; stroke: #fff; stroke-width: 3px; }
svg.tsg .flag { font-size: 9px; fill: var(--muted); }
.legend { font-size: 12px; color: var(--muted); display: flex; gap: 14px; flex-wrap: wrap; margin: 2px 0 0 72px; }
.legend i { display: inline-block; width: 16px; height: 0; border-top: 2px solid; vertical-align: middle; margin-right: 4px; }
.legend i.seg { border-color: var(--seg); } .legend i.rtx { border-color: var(--fail); } .legend i.ack { border-color: var(--ack); }
.legend i.win { border-color: var(--win); } .legend i.sack { border-color: var(--sack); }
.legend i.probe { border-color: #bc4c00; }
.legend i.drop { border-top: 2px dashed var(--fail); }
svg.histogram .bar.pass { fill: var(--pass); } svg.histogram .bar.fail { fill: var(--fail); } svg.histogram .bin:hover rect { opacity: .75; }
.figures { font-size: 13px; margin: 2px 0 4px; } .figures b { font-variant-numeric: tabular-nums; }
""";
}
