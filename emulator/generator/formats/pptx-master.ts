import { XML_DECLARATION } from './ooxml-package.js';

/**
 * The fixed PresentationML parts PowerPoint needs before it will open a deck: one slide master,
 * one "Title and Content" layout and a theme. They never vary, so they are plain constants;
 * every slide inherits placeholder positions and text styles from here.
 */

export const PML_NAMESPACES =
  'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"' +
  ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"' +
  ' xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"';

/** IDs of masters and layouts share one space and must be >= 2^31 (ECMA-376 19.2.1.34). */
export const SLIDE_MASTER_ID = 2147483648;
const SLIDE_LAYOUT_ID = 2147483649;

export const GROUP_SHAPE_HEADER =
  '<p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr>' +
  '<p:grpSpPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/><a:chOff x="0" y="0"/><a:chExt cx="0" cy="0"/></a:xfrm></p:grpSpPr>';

/** A title (`type="title"`) or body (`idx="1"`) placeholder shape. */
export function placeholderShape(
  kind: 'title' | 'body',
  spPr: string,
  paragraphs: string,
  bodyPr = '<a:bodyPr/>',
): string {
  const id = kind === 'title' ? 2 : 3;
  const name = kind === 'title' ? 'Title 1' : 'Content Placeholder 2';
  const ph = kind === 'title' ? '<p:ph type="title"/>' : '<p:ph idx="1"/>';
  return (
    `<p:sp><p:nvSpPr><p:cNvPr id="${id}" name="${name}"/><p:cNvSpPr><a:spLocks noGrp="1"/></p:cNvSpPr>` +
    `<p:nvPr>${ph}</p:nvPr></p:nvSpPr>${spPr}<p:txBody>${bodyPr}<a:lstStyle/>${paragraphs}</p:txBody></p:sp>`
  );
}

function rect(x: number, y: number, cx: number, cy: number): string {
  return (
    `<p:spPr><a:xfrm><a:off x="${x}" y="${y}"/><a:ext cx="${cx}" cy="${cy}"/></a:xfrm>` +
    '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></p:spPr>'
  );
}

const PROMPT_TITLE = '<a:p><a:r><a:rPr lang="en-US"/><a:t>Click to edit Master title style</a:t></a:r></a:p>';
const PROMPT_BODY =
  '<a:p><a:pPr lvl="0"/><a:r><a:rPr lang="en-US"/><a:t>Click to edit Master text styles</a:t></a:r></a:p>';

const TITLE_STYLE =
  '<p:titleStyle><a:lvl1pPr algn="l" defTabSz="914400" rtl="0" eaLnBrk="1" latinLnBrk="0" hangingPunct="1">' +
  '<a:lnSpc><a:spcPct val="90000"/></a:lnSpc><a:spcBef><a:spcPct val="0"/></a:spcBef><a:buNone/>' +
  '<a:defRPr sz="4400" kern="1200"><a:solidFill><a:schemeClr val="tx1"/></a:solidFill>' +
  '<a:latin typeface="+mj-lt"/><a:ea typeface="+mj-ea"/><a:cs typeface="+mj-cs"/></a:defRPr></a:lvl1pPr></p:titleStyle>';

const BODY_STYLE =
  '<p:bodyStyle><a:lvl1pPr marL="228600" indent="-228600" algn="l" defTabSz="914400" rtl="0" eaLnBrk="1" latinLnBrk="0" hangingPunct="1">' +
  '<a:lnSpc><a:spcPct val="90000"/></a:lnSpc><a:spcBef><a:spcPts val="1000"/></a:spcBef>' +
  '<a:buFont typeface="Arial" panose="020B0604020202020204" pitchFamily="34" charset="0"/><a:buChar char="•"/>' +
  '<a:defRPr sz="2800" kern="1200"><a:solidFill><a:schemeClr val="tx1"/></a:solidFill>' +
  '<a:latin typeface="+mn-lt"/><a:ea typeface="+mn-ea"/><a:cs typeface="+mn-cs"/></a:defRPr></a:lvl1pPr></p:bodyStyle>';

const COLOR_MAP =
  '<p:clrMap bg1="lt1" tx1="dk1" bg2="lt2" tx2="dk2" accent1="accent1" accent2="accent2" accent3="accent3"' +
  ' accent4="accent4" accent5="accent5" accent6="accent6" hlink="hlink" folHlink="folHlink"/>';

export function slideMasterXml(): string {
  return (
    `${XML_DECLARATION}<p:sldMaster ${PML_NAMESPACES}><p:cSld>` +
    '<p:bg><p:bgRef idx="1001"><a:schemeClr val="bg1"/></p:bgRef></p:bg>' +
    `<p:spTree>${GROUP_SHAPE_HEADER}` +
    placeholderShape(
      'title',
      rect(838200, 365125, 10515600, 1325563),
      PROMPT_TITLE,
      '<a:bodyPr vert="horz" lIns="91440" tIns="45720" rIns="91440" bIns="45720" rtlCol="0" anchor="ctr"><a:normAutofit/></a:bodyPr>',
    ) +
    placeholderShape(
      'body',
      rect(838200, 1825625, 10515600, 4351338),
      PROMPT_BODY,
      '<a:bodyPr vert="horz" lIns="91440" tIns="45720" rIns="91440" bIns="45720" rtlCol="0"><a:normAutofit/></a:bodyPr>',
    ) +
    `</p:spTree></p:cSld>${COLOR_MAP}` +
    `<p:sldLayoutIdLst><p:sldLayoutId id="${SLIDE_LAYOUT_ID}" r:id="rId1"/></p:sldLayoutIdLst>` +
    `<p:txStyles>${TITLE_STYLE}${BODY_STYLE}<p:otherStyle><a:defPPr><a:defRPr lang="en-US"/></a:defPPr></p:otherStyle></p:txStyles>` +
    '</p:sldMaster>'
  );
}

export function slideLayoutXml(): string {
  return (
    `${XML_DECLARATION}<p:sldLayout ${PML_NAMESPACES} type="obj" preserve="1">` +
    `<p:cSld name="Title and Content"><p:spTree>${GROUP_SHAPE_HEADER}` +
    placeholderShape('title', '<p:spPr/>', PROMPT_TITLE) +
    placeholderShape('body', '<p:spPr/>', PROMPT_BODY) +
    '</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sldLayout>'
  );
}

const THEME_COLORS: readonly [string, string][] = [
  ['dk2', '44546A'],
  ['lt2', 'E7E6E6'],
  ['accent1', '4472C4'],
  ['accent2', 'ED7D31'],
  ['accent3', 'A5A5A5'],
  ['accent4', 'FFC000'],
  ['accent5', '5B9BD5'],
  ['accent6', '70AD47'],
  ['hlink', '0563C1'],
  ['folHlink', '954F72'],
];

export function themeXml(): string {
  const solid = '<a:solidFill><a:schemeClr val="phClr"/></a:solidFill>';
  const colors =
    '<a:dk1><a:sysClr val="windowText" lastClr="000000"/></a:dk1><a:lt1><a:sysClr val="window" lastClr="FFFFFF"/></a:lt1>' +
    THEME_COLORS.map(([name, rgb]) => `<a:${name}><a:srgbClr val="${rgb}"/></a:${name}>`).join('');
  const font = (latin: string) => `<a:latin typeface="${latin}"/><a:ea typeface=""/><a:cs typeface=""/>`;
  // The schema requires at least three entries in each style list.
  const lines = [6350, 12700, 19050].map(
    (w) => `<a:ln w="${w}" cap="flat" cmpd="sng" algn="ctr">${solid}</a:ln>`,
  );
  return (
    `${XML_DECLARATION}<a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" name="Office Theme">` +
    `<a:themeElements><a:clrScheme name="Office">${colors}</a:clrScheme>` +
    `<a:fontScheme name="Office"><a:majorFont>${font('Calibri Light')}</a:majorFont><a:minorFont>${font('Calibri')}</a:minorFont></a:fontScheme>` +
    `<a:fmtScheme name="Office"><a:fillStyleLst>${solid.repeat(3)}</a:fillStyleLst>` +
    `<a:lnStyleLst>${lines.join('')}</a:lnStyleLst>` +
    `<a:effectStyleLst>${'<a:effectStyle><a:effectLst/></a:effectStyle>'.repeat(3)}</a:effectStyleLst>` +
    `<a:bgFillStyleLst>${solid.repeat(3)}</a:bgFillStyleLst></a:fmtScheme>` +
    '</a:themeElements><a:objectDefaults/><a:extraClrSchemeLst/></a:theme>'
  );
}
