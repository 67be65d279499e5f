import { stableGuid } from '../../generator/random.js';
import type { ColumnDef, ColumnType, ContentTypeDef } from './model.js';

/** What each kind of generated list looks like: template, columns and content types. */

/** SharePoint's fixed field ids for the columns every list has. */
export const TITLE_COLUMN: ColumnDef = {
  name: 'Title',
  displayName: 'Title',
  type: 'text',
  id: 'fa564e0f-0c70-4ab9-b863-0177e6ddd247',
  required: true,
};
export const BUILT_IN_COLUMNS: ColumnDef[] = [
  {
    name: 'ID',
    displayName: 'ID',
    type: 'number',
    id: '1d22ea11-1e32-424e-89ab-9fedbadb6ce1',
    builtIn: true,
    indexed: true,
  },
  {
    name: 'ContentType',
    displayName: 'Content Type',
    type: 'text',
    id: 'c042a256-787d-4a6f-8a8a-cf6ab767f12d',
    builtIn: true,
  },
  {
    name: 'Modified',
    displayName: 'Modified',
    type: 'dateTime',
    id: '28cf69c5-fa48-462a-b5cd-27b6f9d2bd5f',
    builtIn: true,
    indexed: true,
  },
  {
    name: 'Created',
    displayName: 'Created',
    type: 'dateTime',
    id: '8c06beca-0777-48f7-91c7-6da68bc07b69',
    builtIn: true,
    indexed: true,
  },
  {
    name: 'Author',
    displayName: 'Created By',
    type: 'person',
    id: '1df5e554-ec7e-46a6-901d-d85a3881cb18',
    builtIn: true,
  },
  {
    name: 'Editor',
    displayName: 'Modified By',
    type: 'person',
    id: 'd31655d1-1d5b-4511-95a1-7a09e9b75bf2',
    builtIn: true,
  },
  {
    name: 'Attachments',
    displayName: 'Attachments',
    type: 'boolean',
    id: '67df98f4-9dec-48ff-a553-29bece9c5bf4',
    builtIn: true,
  },
  {
    name: '_UIVersionString',
    displayName: 'Version',
    type: 'text',
    id: 'dce8262a-3ae9-45aa-aab4-83bd75fb738a',
    builtIn: true,
  },
];
export const BUILT_IN_NAMES = new Set([
  'id',
  ...BUILT_IN_COLUMNS.map((c) => c.name),
  'AuthorLookupId',
  'EditorLookupId',
  'LinkTitle',
  'LinkTitleNoMenu',
  'Edit',
  'ItemChildCount',
  'FolderChildCount',
]);

const col = (
  name: string,
  displayName: string,
  type: ColumnType,
  extra: Partial<ColumnDef> = {},
): ColumnDef => ({ name, displayName, type, id: stableGuid('list-column', name), ...extra });

export interface ListSpec {
  key: string;
  template: string;
  baseTemplate: number;
  displayName: string;
  name: string;
  description: string;
  columns: ColumnDef[];
  /** Content type of the list's items: `0x01` Item, `0x0102` Event, `0x0108` Task. */
  itemType: { base: string; name: string };
  /** Lists under `Lists/`; catalogs under `_catalogs/`. */
  path: (name: string) => string;
}

const inLists = (name: string) => `Lists/${name}`;

export const CUSTOM_SPECS: ListSpec[] = [
  {
    key: 'projects',
    template: 'genericList',
    baseTemplate: 100,
    displayName: 'Project Tracker',
    name: 'ProjectTracker',
    description: 'Projects, owners and budgets',
    itemType: { base: '0x01', name: 'Item' },
    path: inLists,
    columns: [
      col('Status', 'Status', 'choice', {
        choices: ['Not started', 'On track', 'At risk', 'Blocked', 'Done'],
        indexed: true,
      }),
      col('Budget', 'Budget', 'number'),
      col('StartDate', 'Start date', 'dateTime', { dateOnly: true }),
      col('ProjectOwner', 'Owner', 'person'),
      col('Approved', 'Approved', 'boolean'),
      col('SpecLink', 'Specification', 'hyperlink'),
      col('Notes', 'Notes', 'note'),
    ],
  },
  {
    key: 'vendors',
    template: 'genericList',
    baseTemplate: 100,
    displayName: 'Vendor Contacts',
    name: 'VendorContacts',
    description: 'Suppliers and who manages them',
    itemType: { base: '0x01', name: 'Item' },
    path: inLists,
    columns: [
      col('Company', 'Company', 'text'),
      col('Phone', 'Phone', 'text'),
      col('Rating', 'Rating', 'number'),
      col('LastContact', 'Last contact', 'dateTime'),
      col('Preferred', 'Preferred vendor', 'boolean'),
      col('Website', 'Website', 'hyperlink'),
      col('AccountManager', 'Account manager', 'person'),
      col('Comments', 'Comments', 'note'),
    ],
  },
  {
    key: 'issues',
    template: 'genericList',
    baseTemplate: 100,
    displayName: 'Issue Log',
    name: 'IssueLog',
    description: '',
    itemType: { base: '0x01', name: 'Item' },
    path: inLists,
    columns: [
      col('Severity', 'Severity', 'choice', { choices: ['Low', 'Medium', 'High', 'Critical'] }),
      col('ReportedOn', 'Reported on', 'dateTime'),
      col('Resolved', 'Resolved', 'boolean'),
      col('IssueOwner', 'Assigned to', 'person'),
      col('Effort', 'Effort (days)', 'number'),
      col('Reference', 'Reference', 'hyperlink'),
      col('Details', 'Details', 'note'),
    ],
  },
];

export const EVENTS_SPEC: ListSpec = {
  key: 'events',
  template: 'events',
  baseTemplate: 106,
  displayName: 'Team Calendar',
  name: 'Calendar',
  description: 'Events',
  itemType: { base: '0x0102', name: 'Event' },
  path: inLists,
  columns: [
    col('Location', 'Location', 'text'),
    col('EventDate', 'Start Time', 'dateTime', { required: true }),
    col('EndDate', 'End Time', 'dateTime', { required: true }),
    col('Description', 'Description', 'note'),
    col('fAllDayEvent', 'All Day Event', 'boolean'),
    col('Category', 'Category', 'choice', {
      choices: ['Meeting', 'Work hours', 'Business', 'Holiday', 'Get-together', 'Birthday'],
    }),
  ],
};

export const TASKS_SPEC: ListSpec = {
  key: 'tasks',
  template: 'tasks',
  baseTemplate: 107,
  displayName: 'Tasks',
  name: 'Tasks',
  description: '',
  itemType: { base: '0x0108', name: 'Task' },
  path: inLists,
  columns: [
    col('Priority', 'Priority', 'choice', { choices: ['(1) High', '(2) Normal', '(3) Low'] }),
    col('Status', 'Task Status', 'choice', {
      choices: ['Not Started', 'In Progress', 'Completed', 'Deferred', 'Waiting on someone else'],
    }),
    col('PercentComplete', '% Complete', 'number'),
    col('AssignedTo', 'Assigned To', 'person'),
    col('StartDate', 'Start Date', 'dateTime', { dateOnly: true }),
    col('DueDate', 'Due Date', 'dateTime', { dateOnly: true }),
    col('Body', 'Description', 'note'),
  ],
};

const catalog = (name: string) => `_catalogs/${name}`;

/**
 * Hidden system lists every site has. `template` is Graph's string for the SharePoint template id
 * (SPListTemplateType member, camelCased); the numbers are the ids backup tools skip.
 */
export const SYSTEM_SPECS: ListSpec[] = [
  [112, 'userInformation', 'User Information List', 'users', 'Person'],
  [113, 'webPartCatalog', 'Web Part Gallery', 'wp', 'Item'],
  [114, 'listTemplateCatalog', 'List Template Gallery', 'lt', 'Item'],
  [116, 'masterPageCatalog', 'Master Page Gallery', 'masterpage', 'Item'],
  [121, 'solutionCatalog', 'Solution Gallery', 'solutions', 'Item'],
  [123, 'themeCatalog', 'Theme Gallery', 'theme', 'Item'],
  [124, 'designCatalog', 'Composed Looks', 'design', 'Item'],
  [125, 'appDataCatalog', 'appdata', 'appdata', 'Item'],
  [175, 'maintenanceLogs', 'Maintenance Log Library', 'MaintenanceLogs', 'Item'],
  [3300, 'sharingLinks', 'Sharing Links', 'SharingLinks', 'Item'],
].map(([baseTemplate, template, displayName, name, ct]) => ({
  key: `system-${String(baseTemplate)}`,
  template: String(template),
  baseTemplate: Number(baseTemplate),
  displayName: String(displayName),
  name: String(name),
  description: '',
  itemType: ct === 'Person' ? { base: '0x010A', name: 'Person' } : { base: '0x01', name: 'Item' },
  path: name === 'SharingLinks' ? (n: string) => n : catalog,
  columns:
    ct === 'Person'
      ? [
          col('Name', 'Account', 'text'),
          col('EMail', 'Work email', 'text'),
          col('UserName', 'User name', 'text'),
          col('JobTitle', 'Job Title', 'text'),
          col('Department', 'Department', 'text'),
          col('IsSiteAdmin', 'Is Site Admin', 'boolean'),
        ]
      : [],
}));

/** Built-in content types of a list: its item type (with a list-specific suffix) and Folder. */
export function contentTypesFor(listId: string, itemType: { base: string; name: string }): ContentTypeDef[] {
  const suffix = listId.replace(/-/g, '').toUpperCase();
  return [
    {
      id: `${itemType.base}00${suffix}`,
      parentId: itemType.base,
      name: itemType.name,
      group: 'List Content Types',
      description: `Create a new ${itemType.name.toLowerCase()}.`,
      hidden: false,
    },
    {
      id: `0x012000${suffix}`,
      parentId: '0x0120',
      name: 'Folder',
      group: 'Folder Content Types',
      description: 'Create a new folder.',
      hidden: false,
    },
  ];
}
