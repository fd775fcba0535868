-- Data dictionary and custom fields (issue 3).
--
-- dict_lists / dict_entries: choice lists managed in the back office; an entry's code is the
-- stable value stored in documents, its labels are shown; inactive entries are not offered for
-- new values but stay valid for existing data. custom_fields: admin-defined extra fields per
-- document kind; values live in the document's `custom` map, projected as JSON text into the
-- `custom` column of the kind's projection table.
CREATE TABLE dict_lists (
    list_key    TEXT PRIMARY KEY NOT NULL,
    name_zh     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    system      BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE dict_entries (
    list_key    TEXT NOT NULL REFERENCES dict_lists (list_key),
    code        TEXT NOT NULL,
    label_zh    TEXT NOT NULL,
    label_en    TEXT NOT NULL,
    position    BIGINT NOT NULL,
    active      BIGINT NOT NULL DEFAULT 1,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (list_key, code)
);

CREATE TABLE custom_fields (
    kind        TEXT NOT NULL,
    field_key   TEXT NOT NULL,
    label_zh    TEXT NOT NULL,
    label_en    TEXT NOT NULL,
    field_type  TEXT NOT NULL,
    list_key    TEXT NULL REFERENCES dict_lists (list_key),
    required    BIGINT NOT NULL DEFAULT 0,
    active      BIGINT NOT NULL DEFAULT 1,
    position    BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (kind, field_key)
);

ALTER TABLE customers ADD COLUMN custom TEXT NOT NULL DEFAULT '{}';
ALTER TABLE visits ADD COLUMN custom TEXT NOT NULL DEFAULT '{}';

-- The built-in lists and their default entries.
INSERT INTO dict_lists (list_key, name_zh, name_en, system, created_at, updated_at) VALUES
    ('customer_tier', '客户等级', 'Customer tier', 1, 0, 0),
    ('industry', '行业', 'Industry', 1, 0, 0),
    ('customer_source', '客户来源', 'Customer source', 1, 0, 0),
    ('visit_purpose', '拜访目的', 'Visit purpose', 1, 0, 0),
    ('contact_role', '联系人角色', 'Contact role', 1, 0, 0);

INSERT INTO dict_entries (list_key, code, label_zh, label_en, position, active, updated_at) VALUES
    ('customer_tier', 'A', 'A 级（重点客户）', 'A (key account)', 10, 1, 0),
    ('customer_tier', 'B', 'B 级', 'B', 20, 1, 0),
    ('customer_tier', 'C', 'C 级', 'C', 30, 1, 0),
    ('customer_tier', 'D', 'D 级（潜在客户）', 'D (prospect)', 40, 1, 0),
    ('industry', 'retail', '零售', 'Retail', 10, 1, 0),
    ('industry', 'medical', '医疗', 'Healthcare', 20, 1, 0),
    ('industry', 'manufacturing', '制造', 'Manufacturing', 30, 1, 0),
    ('industry', 'catering', '餐饮', 'Food service', 40, 1, 0),
    ('industry', 'logistics', '物流', 'Logistics', 50, 1, 0),
    ('industry', 'it', '信息技术', 'IT', 60, 1, 0),
    ('industry', 'hotel', '酒店', 'Hospitality', 70, 1, 0),
    ('industry', 'building_materials', '建材', 'Building materials', 80, 1, 0),
    ('industry', 'finance', '金融', 'Finance', 90, 1, 0),
    ('industry', 'education', '教育', 'Education', 100, 1, 0),
    ('industry', 'trading', '贸易', 'Trading', 110, 1, 0),
    ('industry', 'other', '其他', 'Other', 1000, 1, 0),
    ('customer_source', 'exhibition', '展会', 'Exhibition', 10, 1, 0),
    ('customer_source', 'referral', '转介绍', 'Referral', 20, 1, 0),
    ('customer_source', 'website', '官网', 'Website', 30, 1, 0),
    ('customer_source', 'cold_call', '电话营销', 'Cold call', 40, 1, 0),
    ('customer_source', 'partner', '渠道', 'Partner', 50, 1, 0),
    ('customer_source', 'other', '其他', 'Other', 1000, 1, 0),
    ('visit_purpose', 'introduction', '初次拜访', 'Introduction', 10, 1, 0),
    ('visit_purpose', 'demo', '产品演示', 'Demo', 20, 1, 0),
    ('visit_purpose', 'follow_up', '回访', 'Follow-up', 30, 1, 0),
    ('visit_purpose', 'collection', '催款', 'Collection', 40, 1, 0),
    ('visit_purpose', 'contract', '签约', 'Contract signing', 50, 1, 0),
    ('visit_purpose', 'service', '售后服务', 'After-sales service', 60, 1, 0),
    ('contact_role', 'decision_maker', '决策人', 'Decision maker', 10, 1, 0),
    ('contact_role', 'influencer', '影响人', 'Influencer', 20, 1, 0),
    ('contact_role', 'purchaser', '采购', 'Purchaser', 30, 1, 0),
    ('contact_role', 'user', '使用人', 'User', 40, 1, 0),
    ('contact_role', 'finance', '财务', 'Finance', 50, 1, 0),
    ('contact_role', 'other', '其他', 'Other', 1000, 1, 0);
