// Hostile model output for the chat view: each payload would, if it ran or loaded, set
// window.__pwned, write "PWNED Pnn" to the console, open a dialog, or fetch from the probe server.
// Every payload carries its marker (Pnn) so the test can check it is visibly rendered as text.

export interface HostilePayload {
  readonly id: string;
  readonly text: string;
}

/** `probe` is an http://127.0.0.1:PORT origin that records every request. */
export function hostilePayloads(probe: string): HostilePayload[] {
  const run = (id: string) => `window.__pwned='${id}';console.log('PWNED ${id}')`;
  const list: [string, string][] = [
    ["P01", `<script>${run("P01")}</script>`],
    ["P02", `<img src=x onerror="${run("P02")}">`],
    ["P03", `<img src="${probe}/P03">`],
    ["P04", `[click P04](javascript:${run("P04")})`],
    ["P05", `[P05](JaVaScRiPt:alert('P05'))`],
    ["P06", `<a href="javascript:${run("P06")}">P06 link</a>`],
    ["P07", `<svg onload="${run("P07")}"><circle r="1"/></svg>`],
    ["P08", `<svg><script>${run("P08")}</script></svg>`],
    ["P09", `<iframe src="javascript:${run("P09")}"></iframe>`],
    ["P10", `<iframe srcdoc="<script>parent.console.log('PWNED P10')</script>"></iframe>`],
    ["P11", `<style>body{background:url(${probe}/P11)}</style>`],
    ["P12", `<div style="background-image:url(${probe}/P12)">P12 styled</div>`],
    ["P13", `<body onload="${run("P13")}">`],
    ["P14", `<details open ontoggle="${run("P14")}"><summary>P14</summary></details>`],
    ["P15", `<math><mtext><table><mglyph><style><img src=x onerror="${run("P15")}">`],
    ["P16", `<object data="javascript:${run("P16")}"></object>`],
    ["P17", `<embed src="${probe}/P17">`],
    ["P18", `<form action="${probe}/P18"><button>P18 submit</button></form>`],
    ["P19", `<meta http-equiv="refresh" content="0;url=${probe}/P19">`],
    ["P20", `<link rel="stylesheet" href="${probe}/P20">`],
    ["P21", `![P21 tracking pixel](${probe}/P21.png)`],
    ["P22", `[P22 data link](data:text/html;base64,PHNjcmlwdD5jb25zb2xlLmxvZygnUFdORUQgUDIyJyk8L3NjcmlwdD4=)`],
    ["P23", `<a href="vbscript:msgbox('P23')">P23 vb</a>`],
    ["P24", `Inline code P24: \`<img src=x onerror="${run("P24")}">\``],
    ["P25", "```html\n<!-- P25 --><script>" + run("P25") + "</script>\n```"],
    ["P26", `<video><source onerror="${run("P26")}"></video>`],
    ["P27", `<input autofocus onfocus="${run("P27")}">`],
    ["P28", `<base href="${probe}/P28/">`],
    ["P29", `[P29 entity](javascript&#58;console.log('PWNED P29'))`],
    ["P30", `<a href="&#106;avascript:console.log('PWNED P30')">P30 entity</a>`],
    ["P31", `<marquee onstart="${run("P31")}">P31</marquee>`],
    ["P32", `<noscript><p title="</noscript><img src=x onerror=${run("P32")}>"></noscript>`],
    ["P33", `<template><img src=x onerror="${run("P33")}"></template>`],
    ["P34", `[P34 command](command:workbench.action.terminal.new) and <a href="command:workbench.action.terminal.new">P34b</a>`],
    ["P35", `[P35 file](file:///etc/passwd) and [P35b](vscode://vscode.git/clone?url=x)`],
    ["P36", `P36 <!-- comment --> <![CDATA[ <script>${run("P36")}</script> ]]>`],
    ["P37", `P37 emoji split over four tokens 🙂 and RTL עברית`],
    ["P38", `[P38 safe link](https://example.invalid/docs)`],
    // An unclosed fence swallows everything after it, so it comes last.
    ["P39", "```js\n// P39 unclosed fence\n</code></pre><script>" + run("P39") + "</script>"],
  ];
  return list.map(([id, text]) => ({ id, text }));
}

/** The whole answer: one paragraph per payload. */
export function hostileAnswer(probe: string): string {
  return `Here are the payloads.\n\n${hostilePayloads(probe)
    .map((p) => p.text)
    .join("\n\n")}\n`;
}
