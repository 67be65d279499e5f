import {
  appPropertiesXml,
  contentTypesXml,
  corePropertiesXml,
  packageRelationshipsXml,
  relationshipsXml,
  XML_DECLARATION,
  xmlEscape,
  zipPackage,
} from './ooxml-package.js';
import type { Relationship } from './ooxml-package.js';
import {
  GROUP_SHAPE_HEADER,
  PML_NAMESPACES,
  placeholderShape,
  SLIDE_MASTER_ID,
  slideLayoutXml,
  slideMasterXml,
  themeXml,
} from './pptx-master.js';

/** Minimal PresentationML deck: every slide uses the "Title and Content" layout. */

export interface PptxSlide {
  title: string;
  bullets: string[];
}

export interface PptxSpec {
  title: string;
  author?: string;
  slides: PptxSlide[];
  /** Core-properties date; defaults to 2020-01-01. */
  created?: Date;
}

const REL_BASE = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PML_TYPE = 'application/vnd.openxmlformats-officedocument.presentationml';
/** The first slide id PowerPoint uses; ids must be >= 256. */
const FIRST_SLIDE_ID = 256;

/** A text paragraph; line breaks are flattened because <a:t> cannot hold them. */
function textParagraph(text: string): string {
  const clean = text.replace(/[\r\n]+/g, ' ');
  if (clean === '') return '<a:p><a:endParaRPr lang="en-US" dirty="0"/></a:p>';
  return `<a:p><a:r><a:rPr lang="en-US" dirty="0"/><a:t>${xmlEscape(clean)}</a:t></a:r></a:p>`;
}

function slideXml(slide: PptxSlide): string {
  const bullets = slide.bullets.length > 0 ? slide.bullets.map(textParagraph).join('') : textParagraph('');
  return (
    `${XML_DECLARATION}<p:sld ${PML_NAMESPACES}><p:cSld><p:spTree>${GROUP_SHAPE_HEADER}` +
    placeholderShape('title', '<p:spPr/>', textParagraph(slide.title)) +
    placeholderShape('body', '<p:spPr/>', bullets) +
    '</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sld>'
  );
}

function presentationXml(slideCount: number): string {
  const slideIds = Array.from(
    { length: slideCount },
    (_, i) => `<p:sldId id="${FIRST_SLIDE_ID + i}" r:id="rId${i + 2}"/>`,
  ).join('');
  return (
    `${XML_DECLARATION}<p:presentation ${PML_NAMESPACES} saveSubsetFonts="1">` +
    `<p:sldMasterIdLst><p:sldMasterId id="${SLIDE_MASTER_ID}" r:id="rId1"/></p:sldMasterIdLst>` +
    (slideCount > 0 ? `<p:sldIdLst>${slideIds}</p:sldIdLst>` : '') +
    '<p:sldSz cx="12192000" cy="6858000"/><p:notesSz cx="6858000" cy="9144000"/>' +
    '</p:presentation>'
  );
}

export function buildPptx(spec: PptxSpec): Buffer {
  const slides = spec.slides;
  const afterSlides = slides.length + 2;
  const presentationRels: Relationship[] = [
    { id: 'rId1', type: `${REL_BASE}/slideMaster`, target: 'slideMasters/slideMaster1.xml' },
    ...slides.map((_, i) => ({
      id: `rId${i + 2}`,
      type: `${REL_BASE}/slide`,
      target: `slides/slide${i + 1}.xml`,
    })),
    { id: `rId${afterSlides}`, type: `${REL_BASE}/presProps`, target: 'presProps.xml' },
    { id: `rId${afterSlides + 1}`, type: `${REL_BASE}/viewProps`, target: 'viewProps.xml' },
    { id: `rId${afterSlides + 2}`, type: `${REL_BASE}/theme`, target: 'theme/theme1.xml' },
    { id: `rId${afterSlides + 3}`, type: `${REL_BASE}/tableStyles`, target: 'tableStyles.xml' },
  ];
  const toLayout = relationshipsXml([
    { id: 'rId1', type: `${REL_BASE}/slideLayout`, target: '../slideLayouts/slideLayout1.xml' },
  ]);
  const slideParts = slides.flatMap((slide, i): [string, string][] => [
    [`ppt/slides/slide${i + 1}.xml`, slideXml(slide)],
    [`ppt/slides/_rels/slide${i + 1}.xml.rels`, toLayout],
  ]);

  return zipPackage([
    [
      '[Content_Types].xml',
      contentTypesXml([
        ['/ppt/presentation.xml', `${PML_TYPE}.presentation.main+xml`],
        ['/ppt/slideMasters/slideMaster1.xml', `${PML_TYPE}.slideMaster+xml`],
        ['/ppt/slideLayouts/slideLayout1.xml', `${PML_TYPE}.slideLayout+xml`],
        ...slides.map((_, i): [string, string] => [`/ppt/slides/slide${i + 1}.xml`, `${PML_TYPE}.slide+xml`]),
        ['/ppt/theme/theme1.xml', 'application/vnd.openxmlformats-officedocument.theme+xml'],
        ['/ppt/presProps.xml', `${PML_TYPE}.presProps+xml`],
        ['/ppt/viewProps.xml', `${PML_TYPE}.viewProps+xml`],
        ['/ppt/tableStyles.xml', `${PML_TYPE}.tableStyles+xml`],
      ]),
    ],
    ['_rels/.rels', packageRelationshipsXml('ppt/presentation.xml')],
    ['docProps/core.xml', corePropertiesXml(spec)],
    [
      'docProps/app.xml',
      appPropertiesXml(
        'Microsoft Office PowerPoint',
        `<PresentationFormat>Widescreen</PresentationFormat><Slides>${slides.length}</Slides>`,
      ),
    ],
    ['ppt/presentation.xml', presentationXml(slides.length)],
    ['ppt/_rels/presentation.xml.rels', relationshipsXml(presentationRels)],
    ['ppt/slideMasters/slideMaster1.xml', slideMasterXml()],
    [
      'ppt/slideMasters/_rels/slideMaster1.xml.rels',
      relationshipsXml([
        { id: 'rId1', type: `${REL_BASE}/slideLayout`, target: '../slideLayouts/slideLayout1.xml' },
        { id: 'rId2', type: `${REL_BASE}/theme`, target: '../theme/theme1.xml' },
      ]),
    ],
    ['ppt/slideLayouts/slideLayout1.xml', slideLayoutXml()],
    [
      'ppt/slideLayouts/_rels/slideLayout1.xml.rels',
      relationshipsXml([
        { id: 'rId1', type: `${REL_BASE}/slideMaster`, target: '../slideMasters/slideMaster1.xml' },
      ]),
    ],
    ['ppt/theme/theme1.xml', themeXml()],
    ...slideParts,
    ['ppt/presProps.xml', `${XML_DECLARATION}<p:presentationPr ${PML_NAMESPACES}/>`],
    ['ppt/viewProps.xml', `${XML_DECLARATION}<p:viewPr ${PML_NAMESPACES}/>`],
    [
      'ppt/tableStyles.xml',
      `${XML_DECLARATION}<a:tblStyleLst xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" def="{5C22544A-7EE6-4342-B048-85BDC9FD1C3A}"/>`,
    ],
  ]);
}
