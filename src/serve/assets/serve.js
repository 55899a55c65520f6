/* portsight serve: the live view. The page works without this file (a plain POST returns the
 * result page); with it, the scan's results arrive over Server-Sent Events and fill the grid. */
"use strict";
(function () {
	var form = document.getElementById("consent");
	if (!form || !window.fetch || !window.EventSource)
		return;
	var words = { o: "Open", c: "Closed", s: "Stealth" };
	var states = { o: "open", c: "closed", s: "stealth" };
	form.addEventListener("submit", function (ev) {
		ev.preventDefault();
		var body = new URLSearchParams(new FormData(form));
		body.set("live", "1");
		var live = document.getElementById("live");
		var button = form.querySelector("button");
		button.disabled = true;
		fetch("/scan", { method: "POST", body: body, credentials: "same-origin" })
			.then(function (r) {
				if (!r.ok)
					return r.text().then(function (t) { throw new Error(t); });
				return r.json();
			})
			.then(function (scan) { follow(scan, live); })
			.catch(function (e) {
				live.hidden = false;
				live.textContent = "Refused: " + e.message.replace(/<[^>]*>/g, " ");
				button.disabled = false;
			});
	});
	function follow(scan, live) {
		form.hidden = true;
		live.hidden = false;
		live.innerHTML = "";
		var status = document.createElement("p");
		var bar = document.createElement("progress");
		bar.max = scan.total;
		bar.value = 0;
		status.textContent = "Probing " + scan.client + ": 0 of " + scan.total + " ports";
		live.appendChild(status);
		live.appendChild(bar);
		var cells = {};
		if (scan.grid) {
			var grid = document.createElement("ol");
			grid.className = "grid";
			scan.grid.forEach(function (p) {
				var li = document.createElement("li");
				li.dataset.port = p;
				li.dataset.state = "pending";
				li.innerHTML = '<span class="n">' + p + '</span><span class="l">&hellip;</span>';
				grid.appendChild(li);
				cells[p] = li;
			});
			live.appendChild(grid);
		}
		var done = 0;
		var es = new EventSource(scan.events);
		es.addEventListener("port", function (e) {
			var f = e.data.split(" ");
			var li = cells[f[0]];
			if (li) {
				li.dataset.state = states[f[1]];
				li.lastChild.textContent = words[f[1]];
			}
			done++;
			bar.value = done;
			status.textContent = "Probing " + scan.client + ": " + done + " of " + scan.total + " ports";
		});
		// The grid stays as the events drew it, with the verdict above it; the full result
		// (open ports with service, risk, trojans, advice, downloads) is one click away.
		es.addEventListener("done", function (e) {
			es.close();
			var d = JSON.parse(e.data);
			var v = document.createElement("p");
			v.id = "live-verdict";
			v.className = "verdict " + d.verdict;
			v.dataset.verdict = d.verdict;
			v.textContent = d.text + (d.interrupted ? " (the scan did not finish)" : "");
			live.insertBefore(v, status);
			if (d.truestealth) {
				var ts = document.createElement("p");
				ts.id = "live-truestealth";
				ts.className = "verdict " + ({ PASSED: "stealth", FAILED: "exposed" }[d.truestealth] || "closed");
				ts.dataset.stealth = d.truestealth;
				ts.textContent = d.truestealth_text;
				live.insertBefore(ts, status);
			}
			status.textContent = "Probed " + scan.client + ": " + d.open + " open, " +
				d.closed + " closed, " + d.stealth + " stealth";
			var more = document.createElement("p");
			var a = document.createElement("a");
			a.id = "full-result";
			a.href = scan.result;
			a.textContent = "Full result: open ports with their service, risk and advice; downloads";
			more.appendChild(a);
			live.appendChild(more);
		});
	}
})();
