import type { Random } from './random.js';

/**
 * Deterministic filler text for the emulator: words, sentences, people, file names. Everything
 * comes from the Random passed in, so the same seed always yields the same text.
 */

/** Splits a `|`-separated literal; lets entries contain spaces and apostrophes. */
function list(text: string): readonly string[] {
  return text
    .split('|')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

// Plausible business vocabulary; varied enough that search tests see many distinct terms.
const WORDS: readonly string[] = [
  ...new Set(
    `
account accounting action agenda agreement allocation analysis analytics annual approval approve
archive asset assessment assign audit authority availability backlog balance bandwidth baseline
benchmark benefit billing board bonus brand briefing budget build business calendar campaign
candidate capacity capital catalog category change channel charter checklist client cloud
collaboration colleague commission commitment communication community company compliance component
conference configuration confirm consensus consultant contact content contingency contract
contribution control coordinate corporate cost council coverage criteria critical customer
dashboard data database deadline decision deliverable delivery demand department deployment design
detail development device director discount discussion distribution division document draft
efficiency effort employee engagement engineering enterprise estimate evaluation event executive
expense experience expertise facility feature feedback finance forecast framework funding goal
governance growth guideline headcount health hiring holiday improvement incident income initiative
innovation input insight inspection installation insurance integration interview inventory invoice
issue item journey kickoff knowledge launch leadership lease legal license logistics maintenance
management manager manufacturing margin market marketing measure meeting merger metric migration
milestone mission model module monitoring negotiation network notice objective offer office
onboarding operation opportunity option order organization outcome outline output overview owner
partner payment payroll performance permission phase pipeline plan planning platform policy
portfolio position practice premium presentation pricing priority procedure process procurement
product production profile profit program progress project promotion proposal prospect provider
purchase quality quarter query quota quote rate recommendation record recruitment reduction
reference region regulation relationship release renewal report request requirement research
reservation resource response result retention revenue review risk roadmap rollout salary sales
schedule scope security segment seminar service session settlement share shipment signature
solution source specification sponsor staff stakeholder standard statement status strategy
structure submission summary supplier supply support survey sustainability system target task
team template tender territory timeline training transaction transfer transition travel trend
update upgrade usage vendor venture version visibility volume warehouse warranty website workflow
workshop accurate additional aligned annualized available careful central clear complete
confidential consistent current customer-facing detailed digital domestic early effective
essential external final financial flexible formal global hybrid important initial internal
key large legacy local long-term main major manual minor monthly new next operational optional
overall pending preliminary primary proactive quarterly quick realistic recent regional
remote revised scalable secure shared short-term significant simple standard strategic
successful technical temporary updated urgent valuable weekly yearly adjust analyze arrange
attach begin clarify collect compare complete consider discuss ensure escalate expand finalize
follow identify implement include increase introduce maintain monitor organize outline prepare
present prioritize provide reduce review revise schedule share submit summarize support track
validate verify`
      .trim()
      .split(/\s+/),
  ),
];

const GIVEN_NAMES = list(`
  Alex | Amelia | Anna | Ben | Carlos | Chloe | Daniel | David | Elena | Emma | Ethan | Fatima |
  Grace | Hannah | Isaac | James | Julia | Kevin | Laura | Liam | Lucas | Maria | Megan |
  Michael | Nadia | Noah | Olivia | Omar | Priya | Rachel | Ryan | Sarah | Sofia | Thomas |
  Victor | William | Zoë | Søren | Łukasz | José | Björn | Chloé | Renée | Jürgen | Çağla |
  Ségolène | Bartłomiej | Ines | Přemysl | Ólafur | Siobhán | Mónica | Hương | Thảo | 伟 | 芳 |
  さくら | 翔太 | محمد | فاطمة | נועה | יוסף | Олег | Анна | Αθηνά | राज
`);

const SURNAMES = list(`
  Adams | Anderson | Baker | Brown | Campbell | Clark | Davies | Evans | Garcia | Green | Hall |
  Harris | Hughes | Jackson | Johnson | Jones | Kelly | Khan | Lee | Lewis | Martin | Miller |
  Moore | Patel | Roberts | Robinson | Smith | Taylor | Thompson | Walker | White | Wilson |
  Wright | Young | Müller | Ångström | Nguyễn | Šimić | Østergaard | Gonçalves | Wójcik |
  Fernández | Öztürk | Jóhannsdóttir | O'Brien | van der Berg | Lefèvre | Dvořáková | 王 | 李 |
  佐藤 | 高橋 | الحسن | العلي | כהן | לוי | Иванов | Παπαδόπουλος | शर्मा
`);

const COMPANY_WORDS = list(`
  Contoso | Fabrikam | Northwind | Tailspin | Woodgrove | Litware | Adatum | Proseware |
  Fourth Coffee | Wingtip | Alpine Ski House | Blue Yonder | Coho Vineyard | Lucerne |
  Margie’s Travel | Trey Research | Wide World Importers | Humongous Insurance |
  Graphic Design Institute | Nordlicht | Société Générale Demo | Müller & Söhne | Ørsted Labs |
  Café Olé
`);

// Fragments for file names; mixes plain English with unicode, emoji and right-to-left text
// because real OneDrive libraries contain all of these and backup tools must round-trip them.
const FILE_STEMS_PLAIN = list(`
  Budget | Forecast | Meeting notes | Project plan | Status report | Invoice | Contract |
  Proposal | Roadmap | Onboarding checklist | Sales pipeline | Board deck | Expense report |
  Team offsite | Release notes | Requirements | Risk register | Org chart | Timesheet
`);
const FILE_STEMS_UNICODE = list(`
  Übersicht Q3 | Résumé – José | Ångström measurements | Zoë’s notes | Plan d’action |
  Søren – draft | Łódź office | Präsentation | 会议记录 | 予算案 | تقرير المبيعات | דוח רבעוני | Отчёт |
  Προϋπολογισμός | 🚀 Launch plan | Ideas 💡 | ✅ Done list
`);
// The leading space or underscore is part of each suffix.
const FILE_SUFFIXES = ' (2)| - Copy|_v2|_v3| final| FINAL| draft|_old| (signed)'.split('|');

// Syllables for rare made-up tokens; none are real words, so a search for one only hits
// documents that were deliberately seeded with it.
const KEYWORD_HEADS = list(`
  zephyr | quix | vorpal | glim | brazz | flumox | jorvik | plinth | xyl | murk
`);
const KEYWORD_TAILS = list(`
  quartz | wobble | nexil | dravo | fandle | korrin | spline | tazzo | yurt | zimble
`);

export interface PersonName {
  given: string;
  surname: string;
}

export class TextGenerator {
  constructor(private readonly random: Random) {}

  word(): string {
    return this.random.pick(WORDS);
  }

  sentence(minWords = 6, maxWords = 16): string {
    const count = this.random.int(minWords, Math.max(minWords, maxWords));
    const words: string[] = [];
    for (let i = 0; i < count; i++) words.push(this.word());
    // A comma now and then keeps the text from looking machine-made.
    if (count > 6 && this.random.bool(0.3)) {
      const at = this.random.int(2, count - 3);
      words[at] = `${words[at] ?? ''},`;
    }
    const text = words.join(' ');
    return `${text.charAt(0).toUpperCase()}${text.slice(1)}${this.random.pick(['.', '.', '.', '.', '?', '!'])}`;
  }

  paragraph(sentences?: number): string {
    const count = sentences ?? this.random.int(3, 7);
    const out: string[] = [];
    for (let i = 0; i < count; i++) out.push(this.sentence());
    return out.join(' ');
  }

  paragraphs(n: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.paragraph());
    return out;
  }

  /** Title Case words, e.g. "Quarterly Budget Review". */
  title(words?: number): string {
    const count = words ?? this.random.int(2, 6);
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
      const w = this.word();
      out.push(`${w.charAt(0).toUpperCase()}${w.slice(1)}`);
    }
    return out.join(' ');
  }

  personName(): PersonName {
    return { given: this.random.pick(GIVEN_NAMES), surname: this.random.pick(SURNAMES) };
  }

  companyWord(): string {
    return this.random.pick(COMPANY_WORDS);
  }

  /** A realistic file name ending in `.${ext}`; never contains characters Windows forbids. */
  fileName(ext: string): string {
    const roll = this.random.next();
    let stem: string;
    if (roll < 0.55) stem = this.random.pick(FILE_STEMS_PLAIN);
    else if (roll < 0.75) stem = this.random.pick(FILE_STEMS_UNICODE);
    else if (roll < 0.9) stem = this.title(this.random.int(2, 4));
    else stem = `${this.companyWord()} ${this.random.pick(FILE_STEMS_PLAIN).toLowerCase()}`;
    if (this.random.bool(0.3)) stem += ` ${this.random.int(2015, 2026)}`;
    if (this.random.bool(0.15)) stem += ` Q${this.random.int(1, 4)}`;
    if (this.random.bool(0.4)) stem += this.random.pick(FILE_SUFFIXES);
    return `${stem.replace(/[\\/:*?"<>|]/g, '_')}.${ext}`;
  }
}

/** A rare made-up token such as "zephyrquartz-1234", for seeding searchable content. */
export function searchableKeyword(random: Random): string {
  return `${random.pick(KEYWORD_HEADS)}${random.pick(KEYWORD_TAILS)}-${random.int(1000, 9999)}`;
}
